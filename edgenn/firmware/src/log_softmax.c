/* LOG_SOFTMAX, int8: twin of edgenn/reference/log_softmax.py (TFLM's gemmlowp fixed-point path). */
#include "cold.h"
#include "log_softmax.h"

#include "gemmlowp.h"
#include "softmax_common.h"

#define INPUT_INTEGER_BITS EDGENN_SOFTMAX_DIFF_BITS
#define ACCUMULATION_INTEGER_BITS EDGENN_SOFTMAX_SUM_BITS
#define OUTPUT_INTEGER_BITS 4
#define ACCUM_BITS (INPUT_INTEGER_BITS + 1) /* log's accumulator: one bit of headroom */

EDGENN_INLINE int32_t saturate_int32(int64_t x) {
    return x > INT32_MAX ? INT32_MAX : (x < INT32_MIN ? INT32_MIN : (int32_t)x);
}

/*
 * log(x) in Q5.26 for a Q12.19 x >= 1 (TFLite's log_x_for_x_greater_than_or_equal_to_1): x is
 * split as 2^k * r with r near [sqrt(1/2), 1) two ways, the tighter kept, and log(r) comes from a
 * rational approximation around sqrt(sqrt(1/2)).
 */
EDGENN_INLINE int32_t log_sum_q5(int32_t z_a) {
    const int32_t log_2 = 1488522236;
    const int32_t sqrt_sqrt_half = 1805811301;
    const int32_t sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297;
    const int32_t alpha_d = 127690142;
    const int32_t alpha_i = 1057819769;
    const int32_t alpha_f = 638450708;
    const int32_t shifted_quarter = (int32_t)1 << (29 - ACCUM_BITS); /* 1/4 with ACCUM_BITS integer bits */
    const int32_t z_a_headroom_plus_1 = edgenn_gl_clz((uint32_t)z_a);
    const int32_t r_a = edgenn_gl_mul_pot(edgenn_srdhm(edgenn_gl_mul_pot(z_a, z_a_headroom_plus_1 - 1), sqrt_half), 1);
    const int32_t z_a_pow_2_adj = saturate_int32(
        (int64_t)edgenn_gl_mul_pot(ACCUMULATION_INTEGER_BITS - z_a_headroom_plus_1, 31 - ACCUM_BITS) +
        shifted_quarter);
    const int32_t z_b_headroom = edgenn_gl_clz((uint32_t)edgenn_srdhm(z_a, sqrt_half)) - 1;
    const int32_t r_b = edgenn_gl_mul_pot(z_a, z_b_headroom);
    const int32_t z_b_pow_2_adj = saturate_int32(
        (int64_t)edgenn_gl_mul_pot(ACCUMULATION_INTEGER_BITS - z_b_headroom, 31 - ACCUM_BITS) - shifted_quarter);
    const int32_t r = r_a < r_b ? r_a : r_b;
    const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;
    const int32_t p = edgenn_gl_rounding_half_sum(r, sqrt_sqrt_half);
    const int32_t q_half = edgenn_gl_sub(r, sqrt_sqrt_half);
    const int32_t q = edgenn_gl_add(q_half, q_half);
    const int32_t common_sq = edgenn_srdhm(q, q);
    const int32_t num = edgenn_gl_add(edgenn_srdhm(q, r), edgenn_srdhm(edgenn_srdhm(q, common_sq), alpha_n));
    const int32_t denom_minus_one =
        edgenn_gl_add(edgenn_srdhm(p, edgenn_gl_add(edgenn_gl_add(alpha_i, q), edgenn_srdhm(alpha_d, common_sq))),
                      edgenn_srdhm(alpha_f, q));
    const int32_t recip_denom = edgenn_gl_one_over_one_plus_x_for_x_in_0_1(denom_minus_one);
    const int32_t num_scaled = edgenn_gl_mul_pot(num, -ACCUM_BITS);
    const int32_t total = edgenn_gl_add(edgenn_srdhm(z_pow_2_adj, log_2), edgenn_srdhm(num_scaled, recip_denom));
    return edgenn_gl_mul_pot(total, ACCUM_BITS - INPUT_INTEGER_BITS);
}

void edgenn_log_softmax(const edgenn_log_softmax_params *p, const int8_t *input, int8_t *output) {
    const int32_t depth = p->depth;
    int32_t r;
    int32_t c;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *x = input + r * depth;
        int8_t *y = output + r * depth;
        const int32_t max_in_row = edgenn_softmax_row_max(x, depth); /* depth >= 1 (export checks) */
        /* Q12.19: export keeps rows short enough that it cannot wrap. */
        const int32_t sum_of_exps = edgenn_softmax_sum_of_exps(x, depth, max_in_row, p->diff_min, p->input_multiplier,
                                                               p->input_left_shift);
        const int32_t log_sum = log_sum_q5(sum_of_exps);
        int32_t cut;
        /* Differences at or below the log-sum in input codes (or diff_min - 1) give -128. */
        cut = edgenn_requantize((int32_t)((uint32_t)log_sum + 0x80000000u), p->reverse_multiplier, p->reverse_shift);
        cut = cut > p->diff_min - 1 ? cut : p->diff_min - 1;
        /* y[c] is written after x[c] is read, and the row's sums come first: safe in place. */
        for (c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            if (diff > cut) {
                const int32_t scaled = edgenn_softmax_scaled_diff(diff, p->input_multiplier, p->input_left_shift);
                const int32_t out = edgenn_rdbpot(edgenn_gl_sub(scaled, log_sum),
                                                  31 - INPUT_INTEGER_BITS - OUTPUT_INTEGER_BITS) +
                                    INT8_MAX;
                y[c] = edgenn_clamp_int8(out, INT8_MIN, INT8_MAX);
            } else {
                y[c] = INT8_MIN;
            }
        }
    }
}
