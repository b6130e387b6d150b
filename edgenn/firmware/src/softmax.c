/* SOFTMAX, int8: twin of edgenn/reference/softmax.py (TFLM's gemmlowp fixed-point path). */
#include "softmax.h"

#include "gemmlowp.h"

#define SCALED_DIFF_INTEGER_BITS 5
#define ACCUMULATION_INTEGER_BITS 12

/* exp of a difference to the row maximum (diff_min <= diff <= 0), Q0.31. The left shift cannot
 * overflow within diff_min; it goes through uint32 so no shift of a negative value is UB. */
EDGENN_INLINE int32_t softmax_exp(const edgenn_softmax_params *p, int32_t diff) {
    const int32_t rescaled =
        edgenn_srdhm((int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
    return edgenn_gl_exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS);
}

void edgenn_softmax(const edgenn_softmax_params *p, const int8_t *input, int8_t *output) {
    const int32_t depth = p->depth;
    int32_t r;
    int32_t c;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *x = input + r * depth;
        int8_t *y = output + r * depth;
        int32_t max_in_row = x[0];
        uint32_t sum_of_exps = 0u; /* Q12.19; wraps like TFLM's int32 accumulation */
        int32_t num_bits_over_unit;
        int32_t scale;
        int32_t exponent;
        for (c = 1; c < depth; ++c) {
            if (x[c] > max_in_row) {
                max_in_row = x[c];
            }
        }
        for (c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            if (diff >= p->diff_min) {
                sum_of_exps += (uint32_t)edgenn_rdbpot(softmax_exp(p, diff), ACCUMULATION_INTEGER_BITS);
            }
        }
        scale = edgenn_gl_get_reciprocal((int32_t)sum_of_exps, ACCUMULATION_INTEGER_BITS, &num_bits_over_unit);
        exponent = num_bits_over_unit + 31 - 8;
        if (exponent > 31) {
            /* Exps summing to 512 or more (only rows of 512+ values get there). TFLM aborts on a
             * check; every probability is below 1/512 then and rounds to the lowest code. */
            for (c = 0; c < depth; ++c) {
                y[c] = INT8_MIN;
            }
            continue;
        }
        /* Each output depends on its own input only once the row's sum is known, so writing y[c]
         * after reading x[c] is safe in place. */
        for (c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t unsat = edgenn_rdbpot(edgenn_srdhm(scale, softmax_exp(p, diff)), exponent);
                y[c] = edgenn_clamp_int8(unsat + INT8_MIN, INT8_MIN, INT8_MAX);
            } else {
                y[c] = INT8_MIN;
            }
        }
    }
}
