/* TFLM's requantization on Helium lanes (mve.h), for FULLY_CONNECTED and ADD. */
#ifndef EDGENN_FC_MVE_REQUANTIZE_H
#define EDGENN_FC_MVE_REQUANTIZE_H

#include "mve.h"

#if EDGENN_MVE
#include <arm_mve.h>

/*
 * TFLM's MultiplyByQuantizedMultiplier on four lanes, bit for bit, for multipliers >= 0 and shifts
 * in [-31, 31]. VQRDMULH is floor((2 x m + 2^31) / 2^32), saturated: TFLM's rounding doubling high
 * multiply, whose nudge of 1 - 2^30 below zero with truncation gives that same floor. TFLM then
 * divides by 2^right rounding half away from zero, VRSHL half up; the two differ only for negative
 * values, where subtracting one first turns half up into half away from zero. That subtraction
 * saturates: INT32_MIN is a multiple of 2^right, which rounds to the same quotient either way. With
 * right = 0 VRSHL does not round, so the subtraction is masked off there.
 */
static __inline__ int32x4_t edgenn_mve_requantize(int32x4_t x, int32x4_t m, int32x4_t shift) {
    const int32x4_t zero = vdupq_n_s32(0);
    const int32x4_t right = vminq_s32(shift, zero); /* minus the right shift: VRSHL shifts right */
    const int32x4_t high = vqrdmulhq_s32(vshlq_s32(x, vmaxq_s32(shift, zero)), m);
    const int32x4_t fix = vandq_s32(vshrq_n_s32(high, 31), vshrq_n_s32(right, 31));
    return vrshlq_s32(vqaddq_s32(high, fix), right);
}
#endif

#endif /* EDGENN_FC_MVE_REQUANTIZE_H */
