/*
 * Shared by the elementwise kernels (ADD, SUB, SQUARED_DIFFERENCE, MUL, MAXIMUM, MINIMUM, RELU): the
 * broadcast walk over two int8 operands, and the rows of the two-input ops whose arithmetic is alike
 * (edgenn/reference/_binary_math.py). The walk's shape and strides come from
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

/* ADD, SUB and SQUARED_DIFFERENCE: both inputs rescaled to a shared scale, combined, rescaled to the output. */
typedef struct {
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t output_offset;
    int32_t left_shift;
    /* input shares of twice the larger input scale (below one), and the output rescale (below one
     * but for SQUARED_DIFFERENCE's) */
    int32_t input1_multiplier;
    int32_t input1_shift;
    int32_t input2_multiplier;
    int32_t input2_shift;
    int32_t output_multiplier;
    int32_t output_shift;
    int32_t act_min; /* the fused activation's clamp; the int8 range for SQUARED_DIFFERENCE */
    int32_t act_max;
    edgenn_ew_broadcast broadcast;
} edgenn_add_params;

/* How edgenn_ew_rescaled_row combines the rescaled inputs a and b. */
#define EDGENN_EW_ADD 0                /* a + b */
#define EDGENN_EW_SUB 1                /* a - b */
#define EDGENN_EW_SQUARED_DIFFERENCE 2 /* (a - b)^2 */

/* An input rescaled to the shared scale. With int8 zero points (the model reader checks) the shifted
 * value fits int32; the shift goes through uint32 so that other zero points wrap as TFLM's int32
 * arithmetic does, not UB. */
EDGENN_INLINE int32_t edgenn_ew_rescale(int8_t x, int32_t offset, int32_t left_shift, int32_t multiplier,
                                        int32_t shift) {
    return edgenn_requantize((int32_t)((uint32_t)((int32_t)x + offset) << left_shift), multiplier, shift);
}

/* The rescaled inputs combined as `op` says, rescaled to the output and clamped. The sum and the
 * difference of two values below 2^28 fit int32, and SQUARED_DIFFERENCE's difference (left shift 7)
 * is below 2^15, so its square does too; the uint32 arithmetic only keeps anything else defined. */
EDGENN_INLINE int8_t edgenn_ew_rescaled_output(const edgenn_add_params *p, int32_t a, int32_t b, int32_t op) {
    const int32_t diff = (int32_t)((uint32_t)a - (uint32_t)b);
    int32_t v;
    if (op == EDGENN_EW_ADD) {
        v = (int32_t)((uint32_t)a + (uint32_t)b);
    } else if (op == EDGENN_EW_SUB) {
        v = diff;
    } else {
        v = (int32_t)((uint32_t)diff * (uint32_t)diff);
    }
    return edgenn_clamp_int8(edgenn_requantize(v, p->output_multiplier, p->output_shift) + p->output_offset,
                             p->act_min, p->act_max);
}

/* One edgenn_ew_row run of ADD, SUB or SQUARED_DIFFERENCE; a constant `op` folds away once inlined. */
EDGENN_INLINE void edgenn_ew_rescaled_row(const edgenn_add_params *p, const int8_t *in1, int32_t step1,
                                          const int8_t *in2, int32_t step2, int8_t *out, int32_t n, int32_t op) {
    const int32_t ls = p->left_shift;
    int32_t k;
    if (step1 != 0 && step2 != 0) {
        for (k = 0; k < n; ++k) {
            const int32_t a = edgenn_ew_rescale(in1[k], p->input1_offset, ls, p->input1_multiplier, p->input1_shift);
            const int32_t b = edgenn_ew_rescale(in2[k], p->input2_offset, ls, p->input2_multiplier, p->input2_shift);
            out[k] = edgenn_ew_rescaled_output(p, a, b, op);
        }
    } else if (step2 == 0) {
        /* a held operand is rescaled once per run: the same arithmetic, hoisted */
        const int32_t b = edgenn_ew_rescale(in2[0], p->input2_offset, ls, p->input2_multiplier, p->input2_shift);
        for (k = 0; k < n; ++k) {
            const int32_t a = edgenn_ew_rescale(in1[k], p->input1_offset, ls, p->input1_multiplier, p->input1_shift);
            out[k] = edgenn_ew_rescaled_output(p, a, b, op);
        }
    } else {
        const int32_t a = edgenn_ew_rescale(in1[0], p->input1_offset, ls, p->input1_multiplier, p->input1_shift);
        for (k = 0; k < n; ++k) {
            const int32_t b = edgenn_ew_rescale(in2[k], p->input2_offset, ls, p->input2_multiplier, p->input2_shift);
            out[k] = edgenn_ew_rescaled_output(p, a, b, op);
        }
    }
}

/* MAXIMUM (`larger` 1: TFLM's `a > b ? a : b`) and MINIMUM (`larger` 0: `a < b ? a : b`) on the codes. */
EDGENN_INLINE int8_t edgenn_ew_pick(int8_t a, int8_t b, int larger) {
    return (larger ? a > b : a < b) ? a : b;
}

/* One edgenn_ew_row run of MAXIMUM or MINIMUM; a constant `larger` folds away once inlined. */
EDGENN_INLINE void edgenn_ew_pick_row(const int8_t *in1, int32_t step1, const int8_t *in2, int32_t step2, int8_t *out,
                                      int32_t n, int larger) {
    int32_t k;
    if (step1 != 0 && step2 != 0) {
        for (k = 0; k < n; ++k) {
            out[k] = edgenn_ew_pick(in1[k], in2[k], larger);
        }
    } else if (step2 == 0) {
        const int8_t b = in2[0];
        for (k = 0; k < n; ++k) {
            out[k] = edgenn_ew_pick(in1[k], b, larger);
        }
    } else {
        const int8_t a = in1[0];
        for (k = 0; k < n; ++k) {
            out[k] = edgenn_ew_pick(a, in2[k], larger);
        }
    }
}

#endif /* EDGENN_ELEMENTWISE_H */
