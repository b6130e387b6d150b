/* MEAN, int8: twin of edgenn/reference/mean.py. */
#include "cold.h"
#include "mean.h"

#include "conv_common.h"

/* Outputs [0, width) of one (outer, middle) row: int32 sums over both reduced axes, then rescaled. */
EDGENN_CONV_INLINE void mean_block(const edgenn_mean_params *p, const int8_t *x, int32_t width, int8_t *out) {
    const edgenn_reduce_layout *l = &p->layout;
    const int32_t row_step = edgenn_reduce0_step(l);
    int32_t acc[EDGENN_CONV_BLOCK];
    int32_t a;
    int32_t b;
    int32_t j;
    for (j = 0; j < width; ++j) {
        acc[j] = 0;
    }
    for (a = 0; a < l->reduce0; ++a) {
        const int8_t *xa = x + a * row_step;
        for (b = 0; b < l->reduce1; ++b) {
            const int8_t *xb = xa + b * l->inner;
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

/* One (outer, middle) row, in blocks of EDGENN_CONV_BLOCK outputs. */
static void mean_row(const void *params, const int8_t *x, int8_t *out) {
    const edgenn_mean_params *p = (const edgenn_mean_params *)params;
    const int32_t inner = p->layout.inner;
    int32_t i;
#define MEAN_BLOCK(i, width) mean_block(p, x + (i), (width), out + (i))
    EDGENN_BLOCKS(i, inner, 0, MEAN_BLOCK);
#undef MEAN_BLOCK
}

void edgenn_mean(const edgenn_mean_params *p, const int8_t *input, int8_t *output) {
    edgenn_reduce_rows(&p->layout, p, input, output, mean_row);
}
