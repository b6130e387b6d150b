/* FULLY_CONNECTED, float32: twin of edgenn/reference/fully_connected_f32.py. */
#include "fully_connected_f32.h"

void edgenn_fully_connected_f32(const edgenn_fully_connected_f32_params *p, const float *input, const float *weights,
                                float *output) {
    int32_t b;
    int32_t c;
    int32_t d;
    for (b = 0; b < p->batches; ++b) {
        const float *x = input + b * p->accum_depth;
        for (c = 0; c < p->output_depth; ++c) {
            const float *w = weights + c * p->accum_depth;
            float total = 0.0f;
            for (d = 0; d < p->accum_depth; ++d) {
                total += x[d] * w[d];
            }
            output[b * p->output_depth + c] = edgenn_act_f32(total + p->bias[c], p->act_min, p->act_max);
        }
    }
}
