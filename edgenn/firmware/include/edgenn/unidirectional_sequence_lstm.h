#ifndef EDGENN_UNIDIRECTIONAL_SEQUENCE_LSTM_H
#define EDGENN_UNIDIRECTIONAL_SEQUENCE_LSTM_H

#include "edgenn.h"

typedef struct {
    int32_t batches;
    int32_t time_steps;
    int32_t input_size;
    int32_t units;
    int32_t time_major; /* input and output are [time][batch][...] rather than [batch][time][...] */
    /* Gates packed input, forget, cell, output: row g * units + j is gate g of unit j. */
    const int8_t *input_weights;     /* [4 * units][input_size] */
    const int8_t *recurrent_weights; /* [4 * units][units] */
    /* Per row: bias - zero point * row sum, folded at export time (the recurrent FC has no bias). */
    const int32_t *input_bias;
    const int32_t *recurrent_bias;
    const int32_t *fc_multiplier; /* [8]: the input FC of each gate, then the recurrent FC */
    const int32_t *fc_shift;
    const uint16_t *sigmoid_table; /* [256]: sigmoid(i / 24) in Q0.16 */
    int32_t forget_multiplier;     /* forget gate x cell state -> cell state */
    int32_t forget_shift;
    int32_t update_multiplier; /* input gate x cell gate -> cell state */
    int32_t update_shift;
    int32_t hidden_multiplier; /* tanh(cell state) x output gate -> hidden state */
    int32_t hidden_shift;
    int32_t hidden_zero_point;
    int32_t clip_cell; /* nonzero: clip the cell state to +-cell_clip */
    int32_t cell_clip;
    int32_t cell_tanh_multiplier; /* bring the cell state to tanh's input */
    int32_t cell_tanh_shift;
} edgenn_unidirectional_sequence_lstm_params;

/* One run over every time step. hidden_state holds the int8 hidden state XOR its zero point (so
 * zeroed memory is TFLM's initial state), cell_state the int16 cell state; both carry over to the
 * next run. */
void edgenn_unidirectional_sequence_lstm(const edgenn_unidirectional_sequence_lstm_params *p, const int8_t *input,
                                         int8_t *hidden_state, int16_t *cell_state, int8_t *output);

#endif /* EDGENN_UNIDIRECTIONAL_SEQUENCE_LSTM_H */
