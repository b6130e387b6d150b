/* MEAN, float32: twin of edgenn/reference/mean_f32.py. */
#include "mean_f32.h"

void edgenn_mean_f32(const edgenn_mean_f32_params *p, const float *input, float *output) {
    const edgenn_reduce_layout *l = &p->layout;
    int32_t o;
    int32_t m;
    int32_t i;
    int32_t r0;
    int32_t r1;
    for (o = 0; o < l->outer; ++o) {
        for (m = 0; m < l->middle; ++m) {
            for (i = 0; i < l->inner; ++i) {
                float total = 0.0f;
                /* the reduced inputs in row-major order, as TFLM sums them */
                for (r0 = 0; r0 < l->reduce0; ++r0) {
                    for (r1 = 0; r1 < l->reduce1; ++r1) {
                        total += input[(((o * l->reduce0 + r0) * l->middle + m) * l->reduce1 + r1) * l->inner + i];
                    }
                }
                *output++ = total / (float)p->count;
            }
        }
    }
}
