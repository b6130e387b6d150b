/* MEAN, int8: twin of edgenn/reference/mean.py. */
#include "mean.h"

#include "conv_common.h"

/* Outputs [0, width) of one (outer, middle) row: int32 sums over both reduced axes, then rescaled. */
EDGENN_CONV_INLINE void mean_block(const edgenn_mean_params *p, const int8_t *x, int32_t width, int8_t *out) {
    const int32_t row_step = p->middle * p->reduce1 * p->inner;
    int32_t acc[EDGENN_CONV_BLOCK];
    int32_t a;
    int32_t b;
    int32_t j;
    for (j = 0; j < width; ++j) {
        acc[j] = 0;
    }
    for (a = 0; a < p->reduce0; ++a) {
        const int8_t *xa = x + a * row_step;
        for (b = 0; b < p->reduce1; ++b) {
            const int8_t *xb = xa + b * p->inner;
            for (j = 0; j < width; ++j) {
                acc[j] += xb[j];
            }
        }
    }
    for (j = 0; j < width; ++j) {
        const int32_t shifted = (int32_t)((uint32_t)acc[j] - (uint32_t)p->zero_sum);
        out[j] = edgenn_clamp_int8(edgenn_requantize(shifted, p->multiplier, p->shift) + p->output_zp, INT8_MIN,
                                   INT8_MAX);
    }
}

void edgenn_mean(const edgenn_mean_params *p, const int8_t *input, int8_t *output) {
    const int32_t middle_step = p->reduce1 * p->inner;
    const int32_t outer_step = p->reduce0 * p->middle * middle_step;
    int32_t o;
    int32_t m;
    for (o = 0; o < p->outer; ++o) {
        for (m = 0; m < p->middle; ++m) {
            const int8_t *x = input + o * outer_step + m * middle_step;
            int8_t *out = output + (o * p->middle + m) * p->inner;
            int32_t i = 0;
            for (; i + EDGENN_CONV_BLOCK <= p->inner; i += EDGENN_CONV_BLOCK) {
                mean_block(p, x + i, EDGENN_CONV_BLOCK, out + i);
            }
            if (i + EDGENN_CONV_BLOCK / 2 <= p->inner) {
                mean_block(p, x + i, EDGENN_CONV_BLOCK / 2, out + i);
                i += EDGENN_CONV_BLOCK / 2;
            }
            if (i < p->inner) {
                mean_block(p, x + i, p->inner - i, out + i);
            }
        }
    }
}
