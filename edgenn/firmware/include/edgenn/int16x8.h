/*
 * What the int16x8 kernels (int16 activations, int8 weights, int64 biases) share: twins of
 * edgenn/reference/_int16.py.
 */
#ifndef EDGENN_INT16X8_H
#define EDGENN_INT16X8_H

#include "edgenn.h"

/* TFLM's 64-bit MultiplyByQuantizedMultiplier: x times a 16-bit multiplier, shifted right by
 * total_shift (in [8, 46]) with rounding half up, keeping the low 32 bits. Export derives the
 * multiplier and the shift from TFLM's (multiplier, shift) pair. */
EDGENN_INLINE int32_t edgenn_requantize64(int64_t x, int32_t multiplier, int32_t total_shift) {
    const int64_t rounded = x * (int64_t)multiplier + ((int64_t)1 << (total_shift - 1));
    return (int32_t)(uint32_t)(uint64_t)(rounded >> total_shift);
}

/* std::min(hi, std::max(lo, v)), as edgenn_clamp_int8, for int16 codes. */
EDGENN_INLINE int16_t edgenn_clamp_int16(int32_t v, int32_t lo, int32_t hi) {
    v = v > lo ? v : lo;
    v = v < hi ? v : hi;
    return (int16_t)v;
}

#endif /* EDGENN_INT16X8_H */
