/* BATCH_MATMUL, int8: twin of edgenn/reference/batch_matmul.py. */
#include "batch_matmul.h"

/* One rows x cols product of x and y, each read through its strides. */
static void matmul_one(const edgenn_batch_matmul_params *p, const int8_t *x, const int8_t *y, int8_t *out) {
    int32_t i;
    int32_t j;
    int32_t k;
    for (i = 0; i < p->rows; ++i) {
        const int8_t *x_i = x + i * p->x_row;
        for (j = 0; j < p->cols; ++j) {
            const int8_t *y_j = y + j * p->y_col;
            int32_t acc = 0;
            int32_t v;
            for (k = 0; k < p->depth; ++k) {
                acc += ((int32_t)x_i[k * p->x_depth] + p->x_offset) * ((int32_t)y_j[k * p->y_depth] + p->y_offset);
            }
            v = edgenn_requantize(acc, p->multiplier, p->shift) + p->output_offset;
            *out++ = edgenn_clamp_int8(v, -128, 127);
        }
    }
}

void edgenn_batch_matmul(const edgenn_batch_matmul_params *p, const int8_t *x, const int8_t *y,
                         int8_t *restrict output) {
    const int32_t size = p->rows * p->cols;
    int32_t b0;
    int32_t b1;
    int32_t b2;
    for (b0 = 0; b0 < p->batch0; ++b0) {
        for (b1 = 0; b1 < p->batch1; ++b1) {
            for (b2 = 0; b2 < p->batch2; ++b2) {
                const int32_t xo = b0 * p->x_batch0 + b1 * p->x_batch1 + b2 * p->x_batch2;
                const int32_t yo = b0 * p->y_batch0 + b1 * p->y_batch1 + b2 * p->y_batch2;
                matmul_one(p, x + xo, y + yo, output);
                output += size;
            }
        }
    }
}
