/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 x int8 with an int16 cell: twin of
 * edgenn/reference/unidirectional_sequence_lstm.py.
 *
 * Unit by unit: its four gates read the input and the previous hidden state, its cell state is
 * updated in place (no other unit reads it), and its new hidden value goes to the output row of
 * this time step; the hidden state takes that row once every unit is done. No scratch memory. */
#include "unidirectional_sequence_lstm.h"

#include "sigmoid_i16.h"

static int32_t sat16(int32_t v) {
    return v < -32768 ? -32768 : (v > 32767 ? 32767 : v);
}

/* Input FC + recurrent FC of one gate row, each requantized to int16 (Q3.12), summed saturating.
 * h is the encoded hidden state: XOR zp decodes it. */
static int32_t gate_input(const edgenn_unidirectional_sequence_lstm_params *p, int32_t gate, int32_t j,
                          const int8_t *x, const int8_t *h, uint8_t zp) {
    const int32_t row = gate * p->units + j;
    const int8_t *wi = p->input_weights + row * p->input_size;
    const int8_t *wr = p->recurrent_weights + row * p->units;
    int32_t acc_in = p->input_bias[row];
    int32_t acc_rec = p->recurrent_bias[row];
    int32_t k;
    for (k = 0; k < p->input_size; ++k) {
        acc_in += (int32_t)wi[k] * (int32_t)x[k];
    }
    for (k = 0; k < p->units; ++k) {
        acc_rec += (int32_t)wr[k] * (int32_t)(int8_t)((uint8_t)h[k] ^ zp);
    }
    return sat16(sat16(edgenn_requantize(acc_in, p->fc_multiplier[gate], p->fc_shift[gate])) +
                 sat16(edgenn_requantize(acc_rec, p->fc_multiplier[4 + gate], p->fc_shift[4 + gate])));
}

static void step(const edgenn_unidirectional_sequence_lstm_params *p, const int8_t *x, const int8_t *h,
                 int16_t *cell, int8_t *out) {
    const uint8_t zp = (uint8_t)p->hidden_zero_point;
    int32_t j;
    for (j = 0; j < p->units; ++j) {
        const int32_t in_gate = edgenn_sigmoid16(p->sigmoid_table, gate_input(p, 0, j, x, h, zp), 3, 0);
        const int32_t forget_gate = edgenn_sigmoid16(p->sigmoid_table, gate_input(p, 1, j, x, h, zp), 3, 0);
        const int32_t cell_gate = edgenn_tanh16(p->sigmoid_table, gate_input(p, 2, j, x, h, zp), 3, 0);
        const int32_t out_gate = edgenn_sigmoid16(p->sigmoid_table, gate_input(p, 3, j, x, h, zp), 3, 0);
        const int32_t kept = sat16(edgenn_requantize(forget_gate * cell[j], p->forget_multiplier, p->forget_shift));
        const int32_t added = sat16(edgenn_requantize(in_gate * cell_gate, p->update_multiplier, p->update_shift));
        int32_t c = sat16(kept + added);
        int32_t v;
        if (p->clip_cell) {
            c = c > p->cell_clip ? p->cell_clip : (c < -p->cell_clip ? -p->cell_clip : c);
        }
        cell[j] = (int16_t)c;
        v = edgenn_tanh16(p->sigmoid_table, c, p->cell_tanh_multiplier, p->cell_tanh_shift) * out_gate;
        v = p->hidden_zero_point + edgenn_requantize(v, p->hidden_multiplier, p->hidden_shift);
        out[j] = edgenn_clamp_int8(v, -128, 127);
    }
}

void edgenn_unidirectional_sequence_lstm(const edgenn_unidirectional_sequence_lstm_params *p, const int8_t *input,
                                         int8_t *hidden_state, int16_t *cell_state, int8_t *output) {
    const uint8_t zp = (uint8_t)p->hidden_zero_point;
    int32_t b, t, j;
    for (b = 0; b < p->batches; ++b) {
        int8_t *enc = hidden_state + b * p->units;
        for (t = 0; t < p->time_steps; ++t) {
            const int32_t row = p->time_major ? t * p->batches + b : b * p->time_steps + t;
            int8_t *out = output + row * p->units;
            step(p, input + row * p->input_size, enc, cell_state + b * p->units, out);
            for (j = 0; j < p->units; ++j) {
                enc[j] = (int8_t)((uint8_t)out[j] ^ zp);
            }
        }
    }
}
