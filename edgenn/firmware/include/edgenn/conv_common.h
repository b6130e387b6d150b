/*
 * Inner loops shared by the convolution and pooling kernels.
 *
 * Loops over fixed-size blocks (16, then 8) give compilers constant trip counts to vectorize (the
 * helpers are forced inline so that callers passing a constant width get them); gcc 12 at -O2
 * still declines most of these, so x86-64 hosts take the SSE2/AVX2 forms below.
 */
#ifndef EDGENN_CONV_COMMON_H
#define EDGENN_CONV_COMMON_H

#include "edgenn.h"

#include <string.h>

#if (defined(__GNUC__) || defined(__clang__)) && EDGENN_OPTIMIZE_SIZE
#define EDGENN_CONV_INLINE static __inline__ /* the compiler's choice: -Os inlines what saves code */
#elif defined(__GNUC__) || defined(__clang__)
#define EDGENN_CONV_INLINE static __inline__ __attribute__((always_inline))
#else
#define EDGENN_CONV_INLINE static
#endif

/* Channels per block in loops that keep a block of accumulators on the stack. */
#define EDGENN_CONV_BLOCK 16

/*
 * Channels [0, n) a block at a time, `block(c, width)` (the caller's macro) for each: EDGENN_CONV_BLOCK
 * wide, then half that, then the rest, each width a constant at its call for compilers to unroll the
 * block's loops; or, where code size comes first (`compact`, or a folder built for flash), one call
 * of any width. `c` (an int32_t of the caller's) ends at n.
 */
#define EDGENN_BLOCKS(c, n, compact, block)                                                                 \
    do {                                                                                                    \
        if (EDGENN_OPTIMIZE_SIZE || (compact)) {                                                            \
            for ((c) = 0; (c) < (n); (c) += EDGENN_CONV_BLOCK) {                                            \
                block((c), ((n) - (c) < EDGENN_CONV_BLOCK ? (n) - (c) : EDGENN_CONV_BLOCK));                \
            }                                                                                               \
        } else {                                                                                            \
            for ((c) = 0; (c) + EDGENN_CONV_BLOCK <= (n); (c) += EDGENN_CONV_BLOCK) {                       \
                block((c), EDGENN_CONV_BLOCK);                                                              \
            }                                                                                               \
            if ((c) + EDGENN_CONV_BLOCK / 2 <= (n)) {                                                       \
                block((c), EDGENN_CONV_BLOCK / 2);                                                          \
                (c) += EDGENN_CONV_BLOCK / 2;                                                               \
            }                                                                                               \
            if ((c) < (n)) {                                                                                \
                block((c), (n) - (c));                                                                      \
            }                                                                                               \
        }                                                                                                   \
    } while (0)

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
 * x86-64 hosts (the emulation and test builds): SSE2, which every x86-64 core has, multiplies eight
 * int16 pairs and adds neighbouring products into four int32 lanes in one PMADDWD. gcc -O2 does not
 * vectorize the plain loops below (its cheapest cost model refuses them), so they would run one
 * product per instruction; these run sixteen products per two PMADDWD. Other hosts keep the plain
 * loops; -DEDGENN_NO_DSP does too.
 */
#if !EDGENN_CONV_DSP && !EDGENN_CONV_SCALAR && defined(__SSE2__) && defined(__GNUC__) && !defined(EDGENN_NO_DSP)
#define EDGENN_CONV_SSE2 1
#include <emmintrin.h>
#include <string.h>
/*
 * With AVX2 (the host build's -march=native on a core that has it) one VPMOVSXBW widens sixteen
 * values and one VPMADDWD takes sixteen products: the loop below runs twice the width in a third of
 * the instructions.
 */
#if defined(__AVX2__)
#define EDGENN_CONV_AVX2 1
#include <immintrin.h>
#else
#define EDGENN_CONV_AVX2 0
#endif

/* The low and high eight bytes of v as sign-extended int16 lanes. */
EDGENN_CONV_INLINE __m128i edgenn_sse_lo16(__m128i v) { return _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8); }
EDGENN_CONV_INLINE __m128i edgenn_sse_hi16(__m128i v) { return _mm_srai_epi16(_mm_unpackhi_epi8(v, v), 8); }

EDGENN_CONV_INLINE __m128i edgenn_sse_load16(const int8_t *p) { return _mm_loadu_si128((const __m128i *)(const void *)p); }

/* Eight bytes, sign-extended to int16 lanes. */
EDGENN_CONV_INLINE __m128i edgenn_sse_load8(const int8_t *p) {
#if EDGENN_CONV_AVX2
    return _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(const void *)p));
#else
    return edgenn_sse_lo16(_mm_loadl_epi64((const __m128i *)(const void *)p));
#endif
}

EDGENN_CONV_INLINE int32_t edgenn_sse_sum(__m128i v) {
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0x4e));
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0xb1));
    return _mm_cvtsi128_si32(v);
}

/*
 * acc[2 i + j] += sum((a_i[k] + offset) * b_j[k]) for inputs a_0..a_{na-1} and weight rows
 * b_0..b_{nb-1} (na, nb in {1, 2}, constants at every call, so the unused sums fold away). Each
 * loaded value feeds na or nb products. |a + offset| <= 255 and |b| <= 128: the int16 lanes and the
 * pairwise int32 sums are exact.
 */
EDGENN_CONV_INLINE void edgenn_sse_dot(const int8_t *a0, const int8_t *a1, const int8_t *b0, const int8_t *b1,
                                       int32_t n, int32_t offset, int na, int nb, int32_t *acc) {
    const __m128i off = _mm_set1_epi16((int16_t)offset);
    __m128i s00 = _mm_setzero_si128();
    __m128i s01 = s00;
    __m128i s10 = s00;
    __m128i s11 = s00;
    int32_t t00;
    int32_t t01 = 0;
    int32_t t10 = 0;
    int32_t t11 = 0;
    int32_t i = 0;
#if EDGENN_CONV_AVX2
    if (n >= 16) {
        const __m256i off16 = _mm256_set1_epi16((int16_t)offset);
        __m256i v00 = _mm256_setzero_si256();
        __m256i v01 = v00;
        __m256i v10 = v00;
        __m256i v11 = v00;
        for (; i + 16 <= n; i += 16) {
            const __m256i x0 = _mm256_add_epi16(_mm256_cvtepi8_epi16(edgenn_sse_load16(a0 + i)), off16);
            const __m256i w0 = _mm256_cvtepi8_epi16(edgenn_sse_load16(b0 + i));
            v00 = _mm256_add_epi32(v00, _mm256_madd_epi16(x0, w0));
            if (nb > 1) {
                const __m256i w1 = _mm256_cvtepi8_epi16(edgenn_sse_load16(b1 + i));
                v01 = _mm256_add_epi32(v01, _mm256_madd_epi16(x0, w1));
                if (na > 1) {
                    const __m256i x1 = _mm256_add_epi16(_mm256_cvtepi8_epi16(edgenn_sse_load16(a1 + i)), off16);
                    v10 = _mm256_add_epi32(v10, _mm256_madd_epi16(x1, w0));
                    v11 = _mm256_add_epi32(v11, _mm256_madd_epi16(x1, w1));
                }
            } else if (na > 1) {
                const __m256i x1 = _mm256_add_epi16(_mm256_cvtepi8_epi16(edgenn_sse_load16(a1 + i)), off16);
                v10 = _mm256_add_epi32(v10, _mm256_madd_epi16(x1, w0));
            }
        }
        s00 = _mm_add_epi32(_mm256_castsi256_si128(v00), _mm256_extracti128_si256(v00, 1));
        s01 = _mm_add_epi32(_mm256_castsi256_si128(v01), _mm256_extracti128_si256(v01, 1));
        s10 = _mm_add_epi32(_mm256_castsi256_si128(v10), _mm256_extracti128_si256(v10, 1));
        s11 = _mm_add_epi32(_mm256_castsi256_si128(v11), _mm256_extracti128_si256(v11, 1));
    }
#endif
    for (; i + 16 <= n; i += 16) {
        const __m128i x0 = edgenn_sse_load16(a0 + i);
        const __m128i w0 = edgenn_sse_load16(b0 + i);
        const __m128i x0l = _mm_add_epi16(edgenn_sse_lo16(x0), off);
        const __m128i x0h = _mm_add_epi16(edgenn_sse_hi16(x0), off);
        const __m128i w0l = edgenn_sse_lo16(w0);
        const __m128i w0h = edgenn_sse_hi16(w0);
        s00 = _mm_add_epi32(s00, _mm_add_epi32(_mm_madd_epi16(x0l, w0l), _mm_madd_epi16(x0h, w0h)));
        if (nb > 1) {
            const __m128i w1 = edgenn_sse_load16(b1 + i);
            const __m128i w1l = edgenn_sse_lo16(w1);
            const __m128i w1h = edgenn_sse_hi16(w1);
            s01 = _mm_add_epi32(s01, _mm_add_epi32(_mm_madd_epi16(x0l, w1l), _mm_madd_epi16(x0h, w1h)));
            if (na > 1) {
                const __m128i x1 = edgenn_sse_load16(a1 + i);
                const __m128i x1l = _mm_add_epi16(edgenn_sse_lo16(x1), off);
                const __m128i x1h = _mm_add_epi16(edgenn_sse_hi16(x1), off);
                s10 = _mm_add_epi32(s10, _mm_add_epi32(_mm_madd_epi16(x1l, w0l), _mm_madd_epi16(x1h, w0h)));
                s11 = _mm_add_epi32(s11, _mm_add_epi32(_mm_madd_epi16(x1l, w1l), _mm_madd_epi16(x1h, w1h)));
            }
        } else if (na > 1) {
            const __m128i x1 = edgenn_sse_load16(a1 + i);
            const __m128i x1l = _mm_add_epi16(edgenn_sse_lo16(x1), off);
            const __m128i x1h = _mm_add_epi16(edgenn_sse_hi16(x1), off);
            s10 = _mm_add_epi32(s10, _mm_add_epi32(_mm_madd_epi16(x1l, w0l), _mm_madd_epi16(x1h, w0h)));
        }
    }
    if (i + 8 <= n) {
        const __m128i x0 = _mm_add_epi16(edgenn_sse_load8(a0 + i), off);
        const __m128i w0 = edgenn_sse_load8(b0 + i);
        s00 = _mm_add_epi32(s00, _mm_madd_epi16(x0, w0));
        if (nb > 1) {
            s01 = _mm_add_epi32(s01, _mm_madd_epi16(x0, edgenn_sse_load8(b1 + i)));
        }
        if (na > 1) {
            const __m128i x1 = _mm_add_epi16(edgenn_sse_load8(a1 + i), off);
            s10 = _mm_add_epi32(s10, _mm_madd_epi16(x1, w0));
            if (nb > 1) {
                s11 = _mm_add_epi32(s11, _mm_madd_epi16(x1, edgenn_sse_load8(b1 + i)));
            }
        }
        i += 8;
    }
    if (na > 1 && nb > 1) {
        /* The four lane sums at once: interleave, add, and add the halves. */
        const __m128i u = _mm_add_epi32(_mm_unpacklo_epi32(s00, s01), _mm_unpackhi_epi32(s00, s01));
        const __m128i v = _mm_add_epi32(_mm_unpacklo_epi32(s10, s11), _mm_unpackhi_epi32(s10, s11));
        int32_t t[4];
        _mm_storeu_si128((__m128i *)(void *)t, _mm_add_epi32(_mm_unpacklo_epi64(u, v), _mm_unpackhi_epi64(u, v)));
        t00 = t[0];
        t01 = t[1];
        t10 = t[2];
        t11 = t[3];
    } else {
        t00 = edgenn_sse_sum(s00);
        if (nb > 1) {
            t01 = edgenn_sse_sum(s01);
        }
        if (na > 1) {
            t10 = edgenn_sse_sum(s10);
        }
    }
    for (; i < n; ++i) {
        const int32_t x0 = (int32_t)a0[i] + offset;
        t00 += x0 * (int32_t)b0[i];
        if (nb > 1) {
            t01 += x0 * (int32_t)b1[i];
        }
        if (na > 1) {
            const int32_t x1 = (int32_t)a1[i] + offset;
            t10 += x1 * (int32_t)b0[i];
            if (nb > 1) {
                t11 += x1 * (int32_t)b1[i];
            }
        }
    }
    acc[0] += t00;
    if (nb > 1) {
        acc[1] += t01;
    }
    if (na > 1) {
        acc[2] += t10;
        if (nb > 1) {
            acc[3] += t11;
        }
    }
}

#if EDGENN_CONV_AVX2
/*
 * edgenn_conv_rq on four lanes, clamped to [lo, hi]: VPMULDQ forms the signed 64-bit products of
 * the even lanes (the odd ones shifted down first), the high words of the rounded products are
 * blended back into lane order, and VPSRAVD shifts each lane by its own channel's amount.
 */
EDGENN_CONV_INLINE __m128i edgenn_avx_rq4(__m128i acc, __m128i m, __m128i s, int32_t k, __m128i lo, __m128i hi) {
    const __m128i x = _mm_slli_epi32(acc, 1);
    const __m128i half = _mm_set1_epi64x((int64_t)1 << 31);
    const __m128i even = _mm_add_epi64(_mm_mul_epi32(x, m), half);
    const __m128i odd = _mm_add_epi64(_mm_mul_epi32(_mm_srli_epi64(x, 32), _mm_srli_epi64(m, 32)), half);
    const __m128i high = _mm_blend_epi32(_mm_srli_epi64(even, 32), odd, 0xa);
    const __m128i r = _mm_add_epi32(_mm_srav_epi32(_mm_add_epi32(high, _mm_srai_epi32(acc, 31)), s), _mm_set1_epi32(k));
    return _mm_min_epi32(_mm_max_epi32(_mm_srai_epi32(r, 1), lo), hi);
}

/*
 * Channels [c, c + 4)'s multipliers and shifts as lanes; where every layer is per tensor (config.h)
 * export stores one of each, broadcast here.
 */
EDGENN_CONV_INLINE __m128i edgenn_avx_mult4(const int32_t *m, int32_t c) {
    if (!EDGENN_USE_PER_CHANNEL) {
        return _mm_set1_epi32(m[0]);
    }
    return _mm_loadu_si128((const __m128i *)(const void *)(m + c));
}

EDGENN_CONV_INLINE __m128i edgenn_avx_shift4(const int8_t *s, int32_t c) {
    int32_t v;
    if (!EDGENN_USE_PER_CHANNEL) {
        return _mm_set1_epi32(s[0]);
    }
    memcpy(&v, s + c, sizeof v);
    return _mm_cvtepi8_epi32(_mm_cvtsi32_si128(v));
}

/* The low byte of each of four int32 lanes (each within int8), in lane order. */
EDGENN_CONV_INLINE uint32_t edgenn_avx_bytes4(__m128i v) {
    const __m128i w = _mm_packs_epi32(v, v);
    return (uint32_t)_mm_cvtsi128_si32(_mm_packs_epi16(w, w));
}
#endif
#else
#define EDGENN_CONV_SSE2 0
#define EDGENN_CONV_AVX2 0
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
 * The dot products below come in four forms: SMLAD pairs with the DSP extension; one
 * multiply-accumulate per product on other scalar cores; PMADDWD on x86-64 hosts (edgenn_sse_dot);
 * and on other hosts loops shaped for compilers to vectorize: the main loop runs to n rounded down
 * to 16, a multiple of the vector length, and products are narrowed to int16 (the product of two
 * int8 values fits), which lets 8-wide blocks use 16-bit lanes.
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
#elif EDGENN_CONV_SSE2
    int32_t acc = 0;
    int32_t i = n;
    edgenn_sse_dot(a, a, b, b, n, 0, 1, 1, &acc);
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
#elif EDGENN_CONV_SSE2
    int32_t acc = 0;
    edgenn_sse_dot(a, a, b, b, n, offset, 1, 1, &acc);
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
#elif EDGENN_CONV_SSE2
    int32_t two[4] = {0, 0, 0, 0};
    edgenn_sse_dot(a, a, b0, b1, n, offset, 1, 2, two);
    s0 = two[0];
    s1 = two[1];
    i = n;
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
#elif EDGENN_CONV_SSE2
    {
        int32_t four[4] = {0, 0, 0, 0};
        edgenn_sse_dot(a0, a1, b0, b1, n, 0, 2, 2, four);
        s00 = four[0];
        s01 = four[1];
        s10 = four[2];
        s11 = four[3];
        i = n;
    }
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
