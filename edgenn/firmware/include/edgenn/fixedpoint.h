/*
 * TFLite's integer requantization, as TFLM computes it (double rounding): bit-exact twins of
 * edgenn/reference/fixedpoint.py.
 */
#ifndef EDGENN_FIXEDPOINT_H
#define EDGENN_FIXEDPOINT_H

#include <stdint.h>

/* The rounding below shifts negative values right and expects the sign to be kept (arithmetic
 * shift), and converts uint32_t back to int32_t by two's complement: both are implementation-
 * defined in C99, and both hold on gcc, clang and arm-none-eabi-gcc. A compiler that differs
 * fails here rather than computing other bytes than TFLM. */
typedef char edgenn_arithmetic_right_shift[((-8 >> 1) == -4) ? 1 : -1];
typedef char edgenn_twos_complement[((int32_t)(uint32_t)0x80000000u == INT32_MIN) ? 1 : -1];

#if defined(__GNUC__) || defined(__clang__)
#define EDGENN_FP_INLINE static __inline__
#else
#define EDGENN_FP_INLINE static
#endif

/* (a * b * 2) >> 32 with rounding to nearest, saturating the single overflow case. */
EDGENN_FP_INLINE int32_t edgenn_srdhm(int32_t a, int32_t b) {
    int64_t ab;
    int64_t nudge;
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent, rounding half away from zero. */
EDGENN_FP_INLINE int32_t edgenn_rdbpot(int32_t x, int32_t exponent) {
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^(shift - 31), as MultiplyByQuantizedMultiplier. */
EDGENN_FP_INLINE int32_t edgenn_requantize(int32_t x, int32_t multiplier, int32_t shift) {
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return edgenn_rdbpot(edgenn_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

#endif /* EDGENN_FIXEDPOINT_H */
