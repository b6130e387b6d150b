/* SOFTMAX, int8: twin of edgenn/reference/softmax.py (TFLM's gemmlowp fixed-point path). */
#include "softmax.h"

#include "gemmlowp.h"
#include "softmax_common.h"

void edgenn_softmax(const edgenn_softmax_params *p, const int8_t *input, int8_t *output) {
    const int32_t depth = p->depth;
    int32_t r;
    int32_t c;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *x = input + r * depth;
        int8_t *y = output + r * depth;
        const int32_t max_in_row = edgenn_softmax_row_max(x, depth);
        const int32_t sum_of_exps = edgenn_softmax_sum_of_exps(x, depth, max_in_row, p->diff_min, p->input_multiplier,
                                                               p->input_left_shift);
        int32_t num_bits_over_unit;
        int32_t scale;
        int32_t exponent;
        scale = edgenn_gl_get_reciprocal(sum_of_exps, EDGENN_SOFTMAX_SUM_BITS, &num_bits_over_unit);
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
                const int32_t e = edgenn_softmax_exp(diff, p->input_multiplier, p->input_left_shift);
                const int32_t unsat = edgenn_rdbpot(edgenn_srdhm(scale, e), exponent);
                y[c] = edgenn_clamp_int8(unsat + INT8_MIN, INT8_MIN, INT8_MAX);
            } else {
                y[c] = INT8_MIN;
            }
        }
    }
}
