/* MEAN, int16x8: twin of edgenn/reference/mean_i16.py. */
#include "mean_i16.h"

#include "int16x8.h"

void edgenn_mean_i16(const edgenn_mean_params *p, const int16_t *input, int16_t *output) {
    const edgenn_reduce_layout *l = &p->layout;
    const int32_t row_step = edgenn_reduce0_step(l);
    int32_t o;
    int32_t m;
    int32_t i;
    int32_t a;
    int32_t b;
    for (o = 0; o < l->outer; ++o) {
        for (m = 0; m < l->middle; ++m) {
            /* the input at (o, 0, m, 0, 0) and the output row of (o, m) */
            const int16_t *x = input + (o * l->reduce0 * l->middle + m) * l->reduce1 * l->inner;
            int16_t *out = output + (o * l->middle + m) * l->inner;
            for (i = 0; i < l->inner; ++i) {
                int32_t acc = 0;
                int32_t shifted;
                for (a = 0; a < l->reduce0; ++a) {
                    for (b = 0; b < l->reduce1; ++b) {
                        acc += x[a * row_step + b * l->inner + i];
                    }
                }
                shifted = (int32_t)((uint32_t)acc - (uint32_t)p->zero_sum);
                out[i] = edgenn_clamp_int16(edgenn_requantize(shifted, p->multiplier, p->shift) + p->output_zp,
                                            INT16_MIN, INT16_MAX);
            }
        }
    }
}
