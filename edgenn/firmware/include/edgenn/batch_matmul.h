#ifndef EDGENN_BATCH_MATMUL_H
#define EDGENN_BATCH_MATMUL_H

#include "edgenn.h"

typedef struct {
    /* The output's three batch dims (leading 1s where the operands have fewer), and how far each
     * operand advances along them: 0 where it broadcasts. */
    int32_t batch0;
    int32_t batch1;
    int32_t batch2;
    int32_t x_batch0;
    int32_t x_batch1;
    int32_t x_batch2;
    int32_t y_batch0;
    int32_t y_batch1;
    int32_t y_batch2;
    /* Each product is rows x depth times depth x cols. */
    int32_t rows;
    int32_t cols;
    int32_t depth;
    /* Element (i, k) of x is at i * x_row + k * x_depth, (k, j) of y at k * y_depth + j * y_col:
     * adj_x and adj_y only swap these. */
    int32_t x_row;
    int32_t x_depth;
    int32_t y_depth;
    int32_t y_col;
    int32_t x_offset; /* minus the zero points */
    int32_t y_offset;
    int32_t output_offset;
    int32_t multiplier; /* one per tensor */
    int32_t shift;
} edgenn_batch_matmul_params;

/* output [batch0, batch1, batch2, rows, cols] */
void edgenn_batch_matmul(const edgenn_batch_matmul_params *p, const int8_t *x, const int8_t *y, int8_t *output);

#endif /* EDGENN_BATCH_MATMUL_H */
