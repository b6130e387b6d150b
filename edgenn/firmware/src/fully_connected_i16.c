/* FULLY_CONNECTED, int16x8: twin of edgenn/reference/fully_connected_i16.py. */
#include "fully_connected_i16.h"

#include "int16x8.h"

void edgenn_fully_connected_i16(const edgenn_fully_connected_i16_params *p, const int16_t *input,
                                const int8_t *weights, int16_t *output) {
    int32_t b;
    int32_t c;
    int32_t d;
    for (b = 0; b < p->batches; ++b) {
        const int16_t *x = input + b * p->accum_depth;
        for (c = 0; c < p->output_depth; ++c) {
            const int8_t *w = weights + c * p->accum_depth;
            int64_t acc = 0;
            for (d = 0; d < p->accum_depth; ++d) {
                acc += (int32_t)x[d] * (int32_t)w[d];
            }
            if (p->bias != NULL) {
                acc += p->bias[c];
            }
            output[b * p->output_depth + c] =
                edgenn_clamp_int16(edgenn_requantize64(acc, p->multiplier[c], p->shift[c]), p->act_min, p->act_max);
        }
    }
}
