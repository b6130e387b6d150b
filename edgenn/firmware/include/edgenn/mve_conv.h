/* Helium (mve.h) building blocks of the int8 convolution and pooling kernels. */
#ifndef EDGENN_MVE_CONV_H
#define EDGENN_MVE_CONV_H

#include "edgenn.h"
#include "mve.h"

#if EDGENN_MVE
#include <arm_mve.h>

#define EDGENN_MVE_INLINE static __inline__ __attribute__((always_inline))

/*
 * Four output channels' accumulators to int8 values (in int32 lanes), as edgenn_conv_out in
 * conv_common.h computes them, from the channels' multipliers m and shifts s.
 *
 * rq_k != 0: VQRDMULH gives (2 acc m + 2^31) >> 32, the high word SMMLAR rounds there (it never
 * saturates: m >= 0), and acc >> 31 is SMMLAR's accumulator; then two arithmetic shifts around
 * the add of k, as edgenn_conv_rq.
 *
 * rq_k == 0, TFLM's two steps: the left shift, the same rounded high multiply (VQRDMULH saturates
 * exactly where TFLM's does), then a division by 2^r rounding halves away from zero. VRSHL rounds
 * halves up: floor((h + 2^(r-1)) / 2^r); subtracting 1 from a negative h first turns that into
 * away from zero (a tie then falls below, any other value keeps its quotient), for r > 0 only. h is
 * never INT32_MIN (|h| <= |x| m / 2^31 + 1 with m < 2^31), so h - 1 does not wrap.
 */
EDGENN_MVE_INLINE int32x4_t edgenn_mve_requant(int32x4_t acc, int32x4_t m, int32x4_t s, int32_t rq_k,
                                               int32_t output_offset, int32_t act_min, int32_t act_max) {
    int32x4_t r;
    if (rq_k != 0) {
        r = vaddq_s32(vqrdmulhq_s32(acc, m), vshrq_n_s32(acc, 31));
        r = vshrq_n_s32(vaddq_n_s32(vshlq_s32(r, vnegq_s32(s)), rq_k), 1);
    } else {
        const int32x4_t zero = vdupq_n_s32(0);
        const int32x4_t neg_right = vminq_s32(s, zero);
        r = vqrdmulhq_s32(vshlq_s32(acc, vmaxq_s32(s, zero)), m);
        r = vaddq_m_s32(r, r, vshrq_n_s32(r, 31), vcmpneq_n_s32(neg_right, 0));
        r = vaddq_n_s32(vrshlq_s32(r, neg_right), output_offset);
    }
    return vminq_s32(vmaxq_s32(r, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
}

/* Channels j to j + 3's multipliers and shifts: one value in every lane where config.h has them per tensor. */
#define EDGENN_MVE_MULTIPLIERS(m, j) (EDGENN_USE_PER_CHANNEL ? vldrwq_s32((m) + (j)) : vdupq_n_s32(*(m)))
#define EDGENN_MVE_SHIFTS(s, j) (EDGENN_USE_PER_CHANNEL ? vldrbq_s32((s) + (j)) : vdupq_n_s32(*(s)))

/*
 * out[j] for channels j in [0, n): acc[j] + bias[j] requantized with the channels' constants (the
 * layer's rq_k, output_offset and activation range), four channels per step. Marked unused: the
 * pooling kernels include this header without calling it.
 */
__attribute__((unused)) static EDGENN_NOINLINE void edgenn_mve_outputs(const int32_t *acc, const int32_t *bias,
                                                                        const int32_t *multiplier, const int8_t *shift,
                                                                        int32_t n, int32_t rq_k, int32_t output_offset,
                                                                        int32_t act_min, int32_t act_max, int8_t *out) {
    int32_t j = 0;
    /* One loop per requantization form: inside each, edgenn_mve_requant's test on rq_k folds away. */
    if (rq_k != 0) {
        for (; j + 4 <= n; j += 4) {
            const int32x4_t v = vaddq_s32(vldrwq_s32(acc + j), vldrwq_s32(bias + j));
            vstrbq_s32(out + j, edgenn_mve_requant(v, EDGENN_MVE_MULTIPLIERS(multiplier, j),
                                                   EDGENN_MVE_SHIFTS(shift, j), rq_k,
                                                   output_offset, act_min, act_max));
        }
    } else {
        for (; j + 4 <= n; j += 4) {
            const int32x4_t v = vaddq_s32(vldrwq_s32(acc + j), vldrwq_s32(bias + j));
            vstrbq_s32(out + j, edgenn_mve_requant(v, EDGENN_MVE_MULTIPLIERS(multiplier, j),
                                                   EDGENN_MVE_SHIFTS(shift, j), 0,
                                                   output_offset, act_min, act_max));
        }
    }
    if (j < n) {
        /* Inactive lanes read and write no memory. */
        const mve_pred16_t q = vctp32q((uint32_t)(n - j));
        const int32x4_t v = vaddq_s32(vldrwq_z_s32(acc + j, q), vldrwq_z_s32(bias + j, q));
        vstrbq_p_s32(out + j,
                     edgenn_mve_requant(v,
                                        EDGENN_USE_PER_CHANNEL ? vldrwq_z_s32(multiplier + j, q)
                                                               : vdupq_n_s32(*multiplier),
                                        EDGENN_USE_PER_CHANNEL ? vldrbq_z_s32(shift + j, q) : vdupq_n_s32(*shift), rq_k,
                                        output_offset, act_min, act_max),
                     q);
    }
}

/* dst[0, n) = src[0, n), 16 bytes per step, the last step predicated. */
EDGENN_MVE_INLINE void edgenn_mve_copy(int8_t *dst, const int8_t *src, int32_t n) {
    while (n > 0) {
        const mve_pred16_t q = vctp8q((uint32_t)n);
        vstrbq_p_s8(dst, vldrbq_z_s8(src, q), q);
        src += 16;
        dst += 16;
        n -= 16;
    }
}

/* dst[0, n) = v. */
EDGENN_MVE_INLINE void edgenn_mve_fill(int8_t *dst, int8_t v, int32_t n) {
    const int8x16_t x = vdupq_n_s8(v);
    while (n > 0) {
        vstrbq_p_s8(dst, x, vctp8q((uint32_t)n));
        dst += 16;
        n -= 16;
    }
}
#endif

#endif /* EDGENN_MVE_CONV_H */
