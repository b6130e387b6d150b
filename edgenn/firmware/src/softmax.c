/* SOFTMAX, int8 to int8 or int16: twin of edgenn/reference/softmax.py (TFLM's gemmlowp fixed-point path). */
#include "cold.h"
#include "softmax.h"

#include "gemmlowp.h"
#include "softmax_common.h"

/* Every row into out8 (int8 output) or out16 (int16 output, out8 NULL): the output type's width sets
 * the final shift, and its lowest code is both the zero point and what unused lanes get. */
static void softmax_rows(const edgenn_softmax_params *p, const int8_t *input, int8_t *out8, int16_t *out16) {
    const int32_t depth = p->depth;
    const int32_t bits = out8 != NULL ? 8 : 16;
    const int32_t lowest = out8 != NULL ? INT8_MIN : INT16_MIN;
    const int32_t highest = out8 != NULL ? INT8_MAX : INT16_MAX;
    int32_t r;
    int32_t c;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *x = input + r * depth;
        const int32_t max_in_row = edgenn_softmax_row_max(x, depth);
        const int32_t sum_of_exps = edgenn_softmax_sum_of_exps(x, depth, max_in_row, p->diff_min, p->input_multiplier,
                                                               p->input_left_shift);
        int32_t num_bits_over_unit;
        const int32_t scale = edgenn_gl_get_reciprocal(sum_of_exps, EDGENN_SOFTMAX_SUM_BITS, &num_bits_over_unit);
        const int32_t exponent = num_bits_over_unit + 31 - bits;
        /* Each output depends on its own input only once the row's sum is known, so writing y[c]
         * after reading x[c] is safe in place. */
        for (c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            int32_t y = lowest;
            /* exponent > 31: int8 exps summing to 512 or more (only rows of 512+ values get there).
             * TFLM aborts on a check; every probability is below 1/512 then and rounds to the lowest code. */
            if (diff >= p->diff_min && exponent <= 31) {
                const int32_t e = edgenn_softmax_exp(diff, p->input_multiplier, p->input_left_shift);
                const int32_t unsat = edgenn_rdbpot(edgenn_srdhm(scale, e), exponent);
                y = unsat + lowest;
                y = y < lowest ? lowest : (y > highest ? highest : y);
            }
            if (out8 != NULL) {
                out8[r * depth + c] = (int8_t)y;
            } else {
                out16[r * depth + c] = (int16_t)y;
            }
        }
    }
}

void edgenn_softmax(const edgenn_softmax_params *p, const int8_t *input, int8_t *output) {
    softmax_rows(p, input, output, NULL);
}

void edgenn_softmax_int16_output(const edgenn_softmax_params *p, const int8_t *input, int16_t *output) {
    softmax_rows(p, input, NULL, output);
}
