/* FULLY_CONNECTED, int8: twin of edgenn/reference/fully_connected.py. */
#include "fully_connected.h"

void edgenn_fully_connected(const edgenn_fully_connected_params *p, const int8_t *input, const int8_t *weights,
                            int8_t *output) {
    int32_t b;
    int32_t c;
    int32_t d;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * p->accum_depth;
        for (c = 0; c < p->output_depth; ++c) {
            const int8_t *w = weights + c * p->accum_depth;
            int32_t acc = p->bias[c];
            for (d = 0; d < p->accum_depth; ++d) {
                acc += (int32_t)x[d] * (int32_t)w[d];
            }
            acc = edgenn_requantize(acc, p->multiplier[c], p->shift[c]) + p->output_offset;
            output[b * p->output_depth + c] = edgenn_clamp_int8(acc, p->act_min, p->act_max);
        }
    }
}
