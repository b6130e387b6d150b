/*
 * What SOFTMAX and LOG_SOFTMAX share (TFLM's gemmlowp fixed-point path): a row's largest code, the
 * Q5.26 scaling of a difference to it, its exp and the row's Q12.19 sum of exps.
 */
#ifndef EDGENN_SOFTMAX_COMMON_H
#define EDGENN_SOFTMAX_COMMON_H

#include "edgenn.h"
#include "gemmlowp.h"

#define EDGENN_SOFTMAX_DIFF_BITS 5 /* integer bits of the scaled differences: Q5.26 */
#define EDGENN_SOFTMAX_SUM_BITS 12 /* integer bits of the sum of exps: Q12.19 */

/* The largest code of a row of depth >= 1. */
EDGENN_INLINE int32_t edgenn_softmax_row_max(const int8_t *x, int32_t depth) {
    int32_t max_in_row = x[0];
    int32_t c;
    for (c = 1; c < depth; ++c) {
        if (x[c] > max_in_row) {
            max_in_row = x[c];
        }
    }
    return max_in_row;
}

/* A difference to the row maximum (diff_min <= diff <= 0) in Q5.26. The left shift cannot overflow
 * within diff_min; it goes through uint32 so no shift of a negative value is UB. */
EDGENN_INLINE int32_t edgenn_softmax_scaled_diff(int32_t diff, int32_t multiplier, int32_t left_shift) {
    return edgenn_srdhm((int32_t)((uint32_t)diff << left_shift), multiplier);
}

/* exp of a difference to the row maximum (diff_min <= diff <= 0), Q0.31. */
EDGENN_INLINE int32_t edgenn_softmax_exp(int32_t diff, int32_t multiplier, int32_t left_shift) {
    return edgenn_gl_exp_on_negative_values(edgenn_softmax_scaled_diff(diff, multiplier, left_shift),
                                            EDGENN_SOFTMAX_DIFF_BITS);
}

/* The Q12.19 sum of the exps of a row's differences >= diff_min; it wraps like TFLM's int32 sum. */
EDGENN_INLINE int32_t edgenn_softmax_sum_of_exps(const int8_t *x, int32_t depth, int32_t max_in_row, int32_t diff_min,
                                                 int32_t multiplier, int32_t left_shift) {
    uint32_t sum = 0u;
    int32_t c;
    for (c = 0; c < depth; ++c) {
        const int32_t diff = (int32_t)x[c] - max_in_row;
        if (diff >= diff_min) {
            sum += (uint32_t)edgenn_rdbpot(edgenn_softmax_exp(diff, multiplier, left_shift), EDGENN_SOFTMAX_SUM_BITS);
        }
    }
    return (int32_t)sum;
}

#endif /* EDGENN_SOFTMAX_COMMON_H */
