/*
 * gemmlowp's fixed-point transcendental functions (fixedpoint/fixedpoint.h) and TFLite's
 * GetReciprocal, on raw int32 values: bit-exact twins of edgenn/reference/gemmlowp.py.
 *
 * A value with `integer_bits` integer bits is the raw int32 of a Qm.(31-m) number. Additions
 * wrap through uint32, as the int32 arithmetic TFLM compiles to does on every target we match,
 * without signed-overflow UB here; products are edgenn_srdhm (SaturatingRoundingDoublingHighMul).
 */
#ifndef EDGENN_GEMMLOWP_H
#define EDGENN_GEMMLOWP_H

#include "edgenn.h"

EDGENN_INLINE int32_t edgenn_gl_add(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

EDGENN_INLINE int32_t edgenn_gl_sub(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* x * 2^exponent: saturating when exponent > 0, rounding to nearest when exponent < 0. The bounds
 * are symmetric, so -2^(31-exponent) saturates to INT32_MIN (the same value). */
EDGENN_INLINE int32_t edgenn_gl_mul_pot(int32_t x, int32_t exponent) {
    int32_t threshold;
    if (exponent < 0) {
        return edgenn_rdbpot(x, -exponent);
    }
    if (exponent == 0) {
        return x;
    }
    threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* (a + b) / 2 rounded half away from zero; 64 bits so the sum cannot overflow. */
EDGENN_INLINE int32_t edgenn_gl_rounding_half_sum(int32_t a, int32_t b) {
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* Leading zero bits; 32 for 0 (TFLite's CountLeadingZeros). */
EDGENN_INLINE int32_t edgenn_gl_clz(uint32_t x) {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__SIZEOF_INT__) && __SIZEOF_INT__ == 4
    return x == 0u ? 32 : (int32_t)__builtin_clz((unsigned int)x);
#else
    int32_t n = 0;
    if (x == 0u) {
        return 32;
    }
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        ++n;
    }
    return n;
#endif
}

/* exp(a) for Q0.31 a in [-1/4, 0): gemmlowp's 4th-order Taylor expansion around -1/8. */
EDGENN_INLINE int32_t edgenn_gl_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = edgenn_gl_add(a, (int32_t)1 << 28); /* + 1/8 */
    const int32_t x2 = edgenn_srdhm(x, x);
    const int32_t x3 = edgenn_srdhm(x2, x);
    const int32_t x4 = edgenn_srdhm(x2, x2);
    const int32_t x4_over_4 = edgenn_gl_mul_pot(x4, -2);
    const int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 =
        edgenn_gl_mul_pot(edgenn_gl_add(edgenn_srdhm(edgenn_gl_add(x4_over_4, x3), one_third), x2), -1);
    return edgenn_gl_add(exp_minus_one_eighth,
                         edgenn_srdhm(exp_minus_one_eighth, edgenn_gl_add(x, x4_over_24_plus_x3_over_6_plus_x2_over_2)));
}

/* exp(a) as Q0.31 for a <= 0 held with `integer_bits` integer bits (0..29). The remainder above a
 * multiple of 1/4 goes through the Taylor polynomial; each set bit of the multiple multiplies in
 * exp(-2^k). Inlined with a constant integer_bits, the loop and the tests on it fold away. */
EDGENN_INLINE int32_t edgenn_gl_exp_on_negative_values(int32_t a, int32_t integer_bits) {
    /* exp(-2^k) in Q0.31 for k = -2 .. 4. */
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t fractional_bits = 31 - integer_bits;
    const int32_t quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t a_mod_quarter_minus_quarter = edgenn_gl_sub(a & (quarter - 1), quarter);
    const int32_t remainder = edgenn_gl_sub(a_mod_quarter_minus_quarter, a);
    int32_t result = edgenn_gl_exp_on_interval_between_negative_one_quarter_and_0_excl(
        edgenn_gl_mul_pot(a_mod_quarter_minus_quarter, integer_bits));
    int32_t k;
    for (k = -2; k <= 4; ++k) {
        if (integer_bits > k && (remainder & ((int32_t)1 << (fractional_bits + k))) != 0) {
            result = edgenn_srdhm(result, barrel[k + 2]);
        }
    }
    /* Below -32 the factors have run out; exp is 0 at this precision. */
    if (integer_bits > 5 && a < -((int32_t)1 << (36 - integer_bits))) {
        result = 0;
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) as Q0.31 for Q0.31 a in (0, 1): three Newton-Raphson steps in Q2.29 on the half
 * denominator, from the 48/17 - 32/17 * d estimate. */
EDGENN_INLINE int32_t edgenn_gl_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
    const int32_t half_denominator = edgenn_gl_rounding_half_sum(a, INT32_MAX);
    int32_t x = edgenn_gl_add(1515870810, edgenn_srdhm(half_denominator, -1010580540));
    int32_t i;
    for (i = 0; i < 3; ++i) {
        const int32_t one_minus_half_denominator_times_x =
            edgenn_gl_sub((int32_t)1 << 29, edgenn_srdhm(half_denominator, x));
        x = edgenn_gl_add(x, edgenn_gl_mul_pot(edgenn_srdhm(x, one_minus_half_denominator_times_x), 2));
    }
    /* Q2.29 halved is the same raw Q1.30; then back to Q0.31. */
    return edgenn_gl_mul_pot(x, 1);
}

/* TFLite's GetReciprocal: 1/x = result * 2^-num_bits_over_unit, result in Q0.31, for x with
 * x_integer_digits integer bits. */
EDGENN_INLINE int32_t edgenn_gl_get_reciprocal(int32_t x, int32_t x_integer_digits, int32_t *num_bits_over_unit) {
    const int32_t headroom_plus_one = edgenn_gl_clz((uint32_t)x);
    /* x shifted so its leading one is bit 31, minus that bit. A zero x would shift by 32, which C
     * leaves undefined; the shifted value is 0 then, as in the reference. */
    const uint32_t normalized = headroom_plus_one < 32 ? (uint32_t)x << headroom_plus_one : 0u;
    *num_bits_over_unit = x_integer_digits - headroom_plus_one;
    return edgenn_gl_one_over_one_plus_x_for_x_in_0_1((int32_t)(normalized - 0x80000000u));
}

#endif /* EDGENN_GEMMLOWP_H */
