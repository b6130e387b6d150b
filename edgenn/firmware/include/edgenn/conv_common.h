/*
 * Inner loops shared by the convolution and pooling kernels.
 *
 * Loops over fixed-size blocks (16, then 8) let compilers vectorize at -O2, where only loops
 * whose trip count needs no scalar epilogue are vectorized; the helpers are forced inline so
 * that callers passing a constant width get those constant trip counts.
 */
#ifndef EDGENN_CONV_COMMON_H
#define EDGENN_CONV_COMMON_H

#include "edgenn.h"

#if defined(__GNUC__) || defined(__clang__)
#define EDGENN_CONV_INLINE static __inline__ __attribute__((always_inline))
#else
#define EDGENN_CONV_INLINE static
#endif

/* Channels per block in loops that keep a block of accumulators on the stack. */
#define EDGENN_CONV_BLOCK 16

/*
 * Microcontroller cores do best with one accumulator per output, in a register, and the taps
 * innermost; elsewhere kernels put blocks of channels innermost, which compilers vectorize. That
 * includes the Cortex-M55: gcc does not vectorize these loops for Helium (MVE), where the blocked
 * layout runs up to twice the instructions of the scalar one.
 */
#ifndef EDGENN_CONV_SCALAR
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
#define EDGENN_CONV_SCALAR 1
#else
#define EDGENN_CONV_SCALAR 0
#endif
#endif

/*
 * edgenn_requantize for a non-negative multiplier (every multiplier export computes is one), in
 * fewer steps: with P = (x << left) * multiplier, TFLM's rounding doubling high multiply
 * (P + (P >= 0 ? 2^30 : 1 - 2^30)) / 2^31, truncating, equals floor((P + 2^30) / 2^31), one add and
 * an arithmetic shift; it saturates only for x == multiplier == INT32_MIN, which a non-negative
 * multiplier rules out.
 */
EDGENN_CONV_INLINE int32_t edgenn_conv_requantize(int32_t x, int32_t multiplier, int32_t shift) {
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int64_t prod = (int64_t)(int32_t)((uint32_t)x << left) * multiplier;
    const int32_t high = (int32_t)((prod + ((int64_t)1 << 30)) >> 31);
    const int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
    const int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)high >> 31);
    return (high >> right) + ((high & mask) > threshold);
}

/* requantize + output offset + activation clamp, as TFLM finishes every conv output. */
EDGENN_CONV_INLINE int8_t edgenn_conv_output(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_offset,
                                             int32_t act_min, int32_t act_max) {
    return edgenn_clamp_int8(edgenn_conv_requantize(acc, multiplier, shift) + output_offset, act_min, act_max);
}

/*
 * Filter taps [*start, *end) of one axis that land inside the input, for a window whose first tap
 * is at `origin` (TFLM skips the others).
 */
EDGENN_CONV_INLINE void edgenn_conv_taps(int32_t origin, int32_t size, int32_t filter, int32_t dilation,
                                         int32_t *start, int32_t *end) {
    int32_t lo = 0;
    int32_t hi = filter;
    if (origin < 0) {
        lo = (-origin + dilation - 1) / dilation;
    }
    if (origin + (filter - 1) * dilation >= size) {
        hi = size - origin <= 0 ? 0 : (size - origin + dilation - 1) / dilation;
    }
    *start = lo;
    *end = hi < lo ? lo : hi;
}

/*
 * Cortex-M DSP extension: SXTB16 splits four packed int8 values into two int16 pairs and SMLAD
 * multiplies and adds a pair in one instruction. The compiler says when the core has them
 * (__ARM_FEATURE_DSP, set by -mcpu=cortex-m4/m7/m33/m55...), so any build for such a core takes this
 * path without extra defines; -DEDGENN_NO_DSP keeps the plain loops below, which give the same sums.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && !defined(EDGENN_NO_DSP)
#define EDGENN_CONV_DSP 1
#include <arm_acle.h>
#include <string.h>

EDGENN_CONV_INLINE uint32_t edgenn_load4(const int8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v); /* one LDR: Cortex-M4 loads unaligned words */
    return v;
}

/* Bytes 0 and 2 as int16 pair. */
EDGENN_CONV_INLINE int32_t edgenn_even16(uint32_t v) { return __sxtb16((int32_t)v); }

/* Bytes 1 and 3 as int16 pair; ACLE has no form with the rotation SXTB16 can apply for free. */
EDGENN_CONV_INLINE int32_t edgenn_odd16(uint32_t v) {
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
#else
#define EDGENN_CONV_DSP 0
#endif

/*
 * (acc * 2^32 + a * b + 2^31) >> 32, what SMMLAR computes: the high word of a rounded product plus
 * an addend. The portable form is exact while the sum fits int64, which every caller guarantees.
 */
EDGENN_CONV_INLINE int32_t edgenn_smmlar(int32_t a, int32_t b, int32_t acc) {
#if EDGENN_CONV_DSP
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
#else
    return (int32_t)(((int64_t)acc * ((int64_t)1 << 32) + (int64_t)a * b + ((int64_t)1 << 31)) >> 32);
#endif
}

/*
 * edgenn_conv_requantize plus the output offset in one multiply, from per output channel constants
 * m (the multiplier, >= 0) and s = r - 1 for a right shift r in [1, 31], and the layer's
 * k = 2 * output_offset + 1, given |acc| < 2^30 (export bounds every accumulator from the weights
 * and bias).
 *
 * TFLM's first rounding is floor((acc * m + 2^30) / 2^31) = floor((2 acc * m + 2^31) / 2^32), the
 * high word SMMLAR rounds (2 acc fits int32). Its second rounds half away from zero:
 * floor((high + 2^(r-1) - [high < 0]) / 2^r). With m >= 0, high < 0 implies acc < 0, and acc < 0
 * with high = 0 rounds to 0 either way, so [acc < 0] serves; it joins the high word exactly, as
 * SMMLAR's accumulator (acc >> 31 is -[acc < 0]). Adding output_offset after the shift equals adding
 * output_offset * 2^r before it, so with h = high - [acc < 0] and d = 2^s the result is
 * floor((h + k * d) / (2 d)) = floor((floor(h / d) + k) / 2): two arithmetic shifts around one add,
 * from constants small enough to store one byte of shift per channel.
 *
 * edgenn_conv_rq2 stops before the last halving, which the callers fold into their clamp.
 */
EDGENN_CONV_INLINE int32_t edgenn_conv_rq2(int32_t acc, int32_t m, int32_t s, int32_t k) {
    return (edgenn_smmlar((int32_t)((uint32_t)acc << 1), m, acc >> 31) >> s) + k;
}

EDGENN_CONV_INLINE int32_t edgenn_conv_rq(int32_t acc, int32_t m, int32_t s, int32_t k) {
    return edgenn_conv_rq2(acc, m, s, k) >> 1;
}

/* edgenn_conv_rq clamped to int8's own range, the activation range of layers without a fused one. */
EDGENN_CONV_INLINE int8_t edgenn_conv_rq_sat8(int32_t acc, int32_t m, int32_t s, int32_t k) {
#if EDGENN_CONV_DSP
    int32_t r;
    __asm__("ssat %0, #8, %1, asr #1" : "=r"(r) : "r"(edgenn_conv_rq2(acc, m, s, k)));
    return (int8_t)r;
#else
    return edgenn_clamp_int8(edgenn_conv_rq(acc, m, s, k), -128, 127);
#endif
}

/* Whether a layer with this rq_k takes the one-multiply form: always where no layer of the model has rq_k == 0. */
#define EDGENN_RQ_ONE(rq_k) (!EDGENN_USE_RQ_TWO_STEP || (rq_k) != 0)

/*
 * Output channel c's value: the one-multiply form where export chose it (rq_k = 2 * output_offset
 * + 1, odd, hence never 0; shift[c] then holds r - 1), TFLM's two steps otherwise (rq_k = 0,
 * shift[c] TFLM's own).
 */
EDGENN_CONV_INLINE int8_t edgenn_conv_out(int32_t acc, int32_t c, int32_t rq_k, const int32_t *multiplier,
                                          const int8_t *shift, int32_t output_offset, int32_t act_min,
                                          int32_t act_max) {
    if (EDGENN_RQ_ONE(rq_k)) {
        return edgenn_clamp_int8(edgenn_conv_rq(acc, multiplier[EDGENN_QCH(c)], shift[EDGENN_QCH(c)], rq_k), act_min,
                                 act_max);
    }
    return edgenn_conv_output(acc, multiplier[EDGENN_QCH(c)], shift[EDGENN_QCH(c)], output_offset, act_min, act_max);
}

/*
 * The dot products below come in three forms: SMLAD pairs with the DSP extension; one
 * multiply-accumulate per product on other scalar cores; and elsewhere loops that compilers
 * vectorize at -O2, where only loops that need no scalar epilogue are vectorized: the main loop
 * runs to n rounded down to 16, a trip count compilers can prove is a multiple of the vector
 * length, and products are narrowed to int16 (the product of two int8 values fits), which lets
 * 8-wide blocks vectorize in 16-bit lanes.
 */

/* sum(a[i] * b[i]) */
EDGENN_CONV_INLINE int32_t edgenn_dot_s8(const int8_t *a, const int8_t *b, int32_t n) {
#if EDGENN_CONV_DSP
    int32_t acc = 0;
    int32_t i;
    for (i = 0; i + 4 <= n; i += 4) {
        const uint32_t x = edgenn_load4(a + i);
        const uint32_t w = edgenn_load4(b + i);
        acc = __smlad(edgenn_even16(x), edgenn_even16(w), acc);
        acc = __smlad(edgenn_odd16(x), edgenn_odd16(w), acc);
    }
#elif EDGENN_CONV_SCALAR
    int32_t acc = 0;
    int32_t i = 0;
#else
    const int32_t n16 = n & ~15;
    int32_t acc = 0;
    int32_t i;
    for (i = 0; i < n16; ++i) {
        acc += (int16_t)((int16_t)a[i] * (int16_t)b[i]);
    }
    if (n & 8) {
        int32_t k;
        for (k = i; k < i + 8; ++k) {
            acc += (int16_t)(a[k] * b[k]);
        }
        i += 8;
    }
#endif
    for (; i < n; ++i) {
        acc += (int32_t)a[i] * (int32_t)b[i];
    }
    return acc;
}

/* sum((a[i] + offset) * b[i]), as TFLM sums a window that overlaps the padding. */
EDGENN_CONV_INLINE int32_t edgenn_dot_s8_offset(const int8_t *a, const int8_t *b, int32_t n, int32_t offset) {
#if EDGENN_CONV_DSP
    /* a + offset fits int16: SADD16 adds the offset to both halves of an unpacked pair. */
    const int32_t pair = (int32_t)(((uint32_t)offset & 0xffffu) | ((uint32_t)offset << 16));
    int32_t acc = 0;
    int32_t i;
    for (i = 0; i + 4 <= n; i += 4) {
        const uint32_t x = edgenn_load4(a + i);
        const uint32_t w = edgenn_load4(b + i);
        acc = __smlad(__sadd16(edgenn_even16(x), pair), edgenn_even16(w), acc);
        acc = __smlad(__sadd16(edgenn_odd16(x), pair), edgenn_odd16(w), acc);
    }
    for (; i < n; ++i) {
        acc += ((int32_t)a[i] + offset) * (int32_t)b[i];
    }
    return acc;
#elif EDGENN_CONV_SCALAR
    int32_t acc = 0;
    int32_t i;
    for (i = 0; i < n; ++i) {
        acc += ((int32_t)a[i] + offset) * (int32_t)b[i];
    }
    return acc;
#else
    /* |a + offset| <= 255 and |b| <= 128: the products fit int16 as well. */
    const int16_t off = (int16_t)offset;
    const int32_t n16 = n & ~15;
    int32_t acc = 0;
    int32_t i;
    for (i = 0; i < n16; ++i) {
        acc += (int16_t)((int16_t)(a[i] + off) * (int16_t)b[i]);
    }
    for (; i < n; ++i) {
        acc += ((int32_t)a[i] + offset) * (int32_t)b[i];
    }
    return acc;
#endif
}

/* acc[0] += sum((a[i] + offset) * b0[i]), acc[1] += sum((a[i] + offset) * b1[i]): one input, two rows. */
EDGENN_CONV_INLINE void edgenn_dot_s8_offset_1x2(const int8_t *a, const int8_t *b0, const int8_t *b1, int32_t n,
                                                 int32_t offset, int32_t *acc) {
    int32_t s0 = 0;
    int32_t s1 = 0;
    int32_t i;
#if EDGENN_CONV_DSP
    const int32_t pair = (int32_t)(((uint32_t)offset & 0xffffu) | ((uint32_t)offset << 16));
    for (i = 0; i + 4 <= n; i += 4) {
        const uint32_t x = edgenn_load4(a + i);
        const uint32_t w0 = edgenn_load4(b0 + i);
        const uint32_t w1 = edgenn_load4(b1 + i);
        const int32_t xe = __sadd16(edgenn_even16(x), pair);
        const int32_t xo = __sadd16(edgenn_odd16(x), pair);
        s0 = __smlad(xo, edgenn_odd16(w0), __smlad(xe, edgenn_even16(w0), s0));
        s1 = __smlad(xo, edgenn_odd16(w1), __smlad(xe, edgenn_even16(w1), s1));
    }
#elif EDGENN_CONV_SCALAR
    i = 0;
#else
    const int16_t off = (int16_t)offset;
    const int32_t n16 = n & ~15;
    for (i = 0; i < n16; ++i) {
        const int16_t x = (int16_t)(a[i] + off);
        s0 += (int16_t)(x * (int16_t)b0[i]);
        s1 += (int16_t)(x * (int16_t)b1[i]);
    }
#endif
    for (; i < n; ++i) {
        const int32_t x = (int32_t)a[i] + offset;
        s0 += x * (int32_t)b0[i];
        s1 += x * (int32_t)b1[i];
    }
    acc[0] += s0;
    acc[1] += s1;
}

/*
 * Two inputs against two weight rows: acc[0] += a0.b0, acc[1] += a0.b1, acc[2] += a1.b0,
 * acc[3] += a1.b1. Each loaded value feeds two products.
 */
EDGENN_CONV_INLINE void edgenn_dot_s8_2x2(const int8_t *a0, const int8_t *a1, const int8_t *b0, const int8_t *b1,
                                          int32_t n, int32_t *acc) {
    int32_t s00 = 0;
    int32_t s01 = 0;
    int32_t s10 = 0;
    int32_t s11 = 0;
    int32_t i;
#if EDGENN_CONV_DSP
    const int8_t *p0 = a0;
    const int8_t *p1 = a1;
    const int8_t *q0 = b0;
    const int8_t *q1 = b1;
    int32_t k;
    for (k = n >> 2; k > 0; --k) {
        const uint32_t x0 = edgenn_load4(p0);
        const uint32_t x1 = edgenn_load4(p1);
        const uint32_t w0 = edgenn_load4(q0);
        const uint32_t w1 = edgenn_load4(q1);
        const int32_t x0e = edgenn_even16(x0);
        const int32_t x0o = edgenn_odd16(x0);
        const int32_t x1e = edgenn_even16(x1);
        const int32_t x1o = edgenn_odd16(x1);
        const int32_t w0e = edgenn_even16(w0);
        const int32_t w0o = edgenn_odd16(w0);
        const int32_t w1e = edgenn_even16(w1);
        const int32_t w1o = edgenn_odd16(w1);
        s00 = __smlad(x0o, w0o, __smlad(x0e, w0e, s00));
        s10 = __smlad(x1o, w0o, __smlad(x1e, w0e, s10));
        s01 = __smlad(x0o, w1o, __smlad(x0e, w1e, s01));
        s11 = __smlad(x1o, w1o, __smlad(x1e, w1e, s11));
        p0 += 4;
        p1 += 4;
        q0 += 4;
        q1 += 4;
    }
    i = n & ~3;
#elif EDGENN_CONV_SCALAR
    i = 0;
#else
    const int32_t n16 = n & ~15;
    for (i = 0; i < n16; ++i) {
        const int16_t x0 = a0[i];
        const int16_t x1 = a1[i];
        const int16_t w0 = b0[i];
        const int16_t w1 = b1[i];
        s00 += (int16_t)(x0 * w0);
        s01 += (int16_t)(x0 * w1);
        s10 += (int16_t)(x1 * w0);
        s11 += (int16_t)(x1 * w1);
    }
    if (n & 8) {
        int32_t k;
        for (k = i; k < i + 8; ++k) {
            s00 += (int16_t)(a0[k] * b0[k]);
            s01 += (int16_t)(a0[k] * b1[k]);
            s10 += (int16_t)(a1[k] * b0[k]);
            s11 += (int16_t)(a1[k] * b1[k]);
        }
        i += 8;
    }
#endif
    for (; i < n; ++i) {
        const int32_t x0 = a0[i];
        const int32_t x1 = a1[i];
        const int32_t w0 = b0[i];
        const int32_t w1 = b1[i];
        s00 += x0 * w0;
        s01 += x0 * w1;
        s10 += x1 * w0;
        s11 += x1 * w1;
    }
    acc[0] += s00;
    acc[1] += s01;
    acc[2] += s10;
    acc[3] += s11;
}

#endif /* EDGENN_CONV_COMMON_H */
