/*
 * Shared by the elementwise kernels (ADD, MUL, RELU): TFLM's activation clamp and the broadcast
 * walk over two int8 operands. The walk's shape and strides come from
 * edgenn/reference/_elementwise.py (broadcast_plan), computed at export time.
 */
#ifndef EDGENN_ELEMENTWISE_H
#define EDGENN_ELEMENTWISE_H

#include "edgenn.h"

#define EDGENN_EW_RANK 6

/* How output element i finds its operands (`size` output elements in all). */
#define EDGENN_EW_FLAT 0    /* both operands hold `size` elements, read in step */
#define EDGENN_EW_REPEAT1 1 /* input1 holds `inner` elements, read again for every run of `inner` */
#define EDGENN_EW_REPEAT2 2 /* the same with input2 repeating (per-channel vectors, scalars) */
#define EDGENN_EW_GENERAL 3 /* dims/stride1/stride2 walk the output, innermost dim last */

typedef struct {
    int32_t kind;
    int32_t size;
    int32_t inner;
    int32_t dims[EDGENN_EW_RANK];
    int32_t stride1[EDGENN_EW_RANK]; /* 0 along dims that input1 broadcasts */
    int32_t stride2[EDGENN_EW_RANK];
} edgenn_ew_broadcast;

/*
 * One contiguous run of n outputs; step1/step2 are 1 for an operand that advances with the output
 * and 0 for one held at its first element (both are never 0).
 */
typedef void (*edgenn_ew_row)(const void *params, const int8_t *in1, int32_t step1, const int8_t *in2, int32_t step2,
                              int8_t *out, int32_t n);

/* Cuts the output into runs for `row`; an inlined caller's constant `row` becomes a direct call. */
EDGENN_INLINE void edgenn_ew_binary(const edgenn_ew_broadcast *b, edgenn_ew_row row, const void *params,
                                    const int8_t *in1, const int8_t *in2, int8_t *out) {
    int32_t r;
    if (b->kind == EDGENN_EW_FLAT) {
        row(params, in1, 1, in2, 1, out, b->size);
    } else if (b->kind == EDGENN_EW_REPEAT1 || b->kind == EDGENN_EW_REPEAT2) {
        const int32_t n = b->inner;
        const int first = b->kind == EDGENN_EW_REPEAT1;
        if (n == 1) {
            /* a scalar operand: one run over the whole output */
            row(params, in1, first ? 0 : 1, in2, first ? 1 : 0, out, b->size);
            return;
        }
        for (r = 0; r < b->size; r += n) {
            row(params, first ? in1 : in1 + r, 1, first ? in2 + r : in2, 1, out + r, n);
        }
    } else {
        /* an odometer over the outer five dims; the innermost dim is one run */
        int32_t idx[EDGENN_EW_RANK - 1] = {0, 0, 0, 0, 0};
        int32_t off1 = 0;
        int32_t off2 = 0;
        const int32_t n = b->dims[EDGENN_EW_RANK - 1];
        const int32_t step1 = b->stride1[EDGENN_EW_RANK - 1];
        const int32_t step2 = b->stride2[EDGENN_EW_RANK - 1];
        const int32_t rows = n > 0 ? b->size / n : 0;
        int d;
        for (r = 0; r < rows; ++r) {
            row(params, in1 + off1, step1, in2 + off2, step2, out, n);
            out += n;
            for (d = EDGENN_EW_RANK - 2; d >= 0; --d) {
                off1 += b->stride1[d];
                off2 += b->stride2[d];
                if (++idx[d] < b->dims[d]) {
                    break;
                }
                off1 -= b->stride1[d] * b->dims[d];
                off2 -= b->stride2[d] * b->dims[d];
                idx[d] = 0;
            }
        }
    }
}

#endif /* EDGENN_ELEMENTWISE_H */
