/* L2_NORMALIZATION, int8: twin of edgenn/reference/l2_normalization.py (TFLM's L2Normalization). */
#include "l2_normalization.h"

#include "gemmlowp.h"

/* TFLite's GetInvSqrtQuantizedMultiplierExp with kReverseShift, for 0 <= v < 2^29: 1/sqrt(v) as a
 * multiplier and a (left) shift for edgenn_requantize, through five Newton-Raphson steps in Q3.28
 * (twin of inv_sqrt_quantized_multiplier_exp in edgenn/reference/rsqrt.py). */
static void l2_inv_sqrt(int32_t v, int32_t *multiplier, int32_t *shift) {
    const int32_t half_three = (1 << 28) + (1 << 27); /* 1.5 in Q3.28 */
    int32_t pairs;
    int32_t right_shift;
    int32_t half_input;
    int32_t x = 1 << 28; /* 1.0 in Q3.28 */
    int i;
    if (v <= 1) {
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    /* normalize into [2^27, 2^29) by pairs of bits */
    pairs = (edgenn_gl_clz((uint32_t)v) - 1) / 2 - 1;
    right_shift = 11 - pairs;
    v = (int32_t)((uint32_t)v << (2 * pairs));
    half_input = edgenn_rdbpot(v >> 1, 1);
    for (i = 0; i < 5; ++i) {
        const int32_t x3 = edgenn_gl_mul_pot(edgenn_srdhm(edgenn_srdhm(x, x), x), 6);
        x = edgenn_gl_mul_pot(edgenn_gl_sub(edgenn_srdhm(half_three, x), edgenn_srdhm(half_input, x3)), 3);
    }
    x = edgenn_srdhm(x, 1518500250); /* times sqrt(2)/2 in Q0.31 */
    if (right_shift < 0) {
        x = (int32_t)((uint32_t)x << -right_shift);
        right_shift = 0;
    }
    *multiplier = x;
    *shift = -right_shift;
}

void edgenn_l2_normalization(const edgenn_l2_normalization_params *p, const int8_t *input, int8_t *output) {
    const int32_t zp = p->input_zero_point;
    int32_t r;
    int32_t k;
    for (r = 0; r < p->outer_size; ++r) {
        const int8_t *in = input + r * p->depth;
        int8_t *out = output + r * p->depth;
        int32_t acc = 0;
        int32_t multiplier;
        int32_t shift;
        for (k = 0; k < p->depth; ++k) {
            const int32_t x = (int32_t)in[k] - zp;
            acc += x * x;
        }
        l2_inv_sqrt(acc, &multiplier, &shift);
        /* each input is read before its output is written: input and output may be the same */
        for (k = 0; k < p->depth; ++k) {
            out[k] = edgenn_clamp_int8(edgenn_requantize((int32_t)in[k] - zp, multiplier, shift + 7), -128, 127);
        }
    }
}
