/* CONV_2D, int8: twin of edgenn/reference/conv_2d.py. */
#include "conv_2d.h"
#include "packed.h"
#if EDGENN_USE_CONV_DENSE
#include "conv_2d_mve.h"
#endif

#include "conv_common.h"

#include <string.h>

EDGENN_CONFIG_MARK(conv_2d); /* the kernel paths config.h compiles, for the model's link check */

/* Helpers that a model's kernel paths (config.h) may leave unreferenced: the dense layer's where no
 * layer is dense (CONV_DENSE off), the pair path's where no layer is a CONV_2D at all (a firmware
 * that compiles every kernel file). Unreferenced, they are not compiled. */
#if defined(__GNUC__)
#define CONV_MAY_BE_UNUSED __attribute__((unused))
#else
#define CONV_MAY_BE_UNUSED
#endif

/* Where run r of a window starts; a single run starts at the window's first value. */
EDGENN_CONV_INLINE int32_t conv_run_at(const edgenn_conv_2d_params *p, int32_t r) {
    return p->runs == 1 ? 0 : p->run_offset[r];
}

EDGENN_CONV_INLINE int8_t conv_out(const edgenn_conv_2d_params *p, int32_t acc, int32_t c) {
    return edgenn_conv_out(acc, c, p->rq_k, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max);
}

/*
 * Channels c, c + 1 of two pixels from acc = (pixel 0 c, pixel 0 c + 1, pixel 1 c, pixel 1 c + 1),
 * all four computed before any store: an int8 store may alias the constants and force reloads.
 */
EDGENN_CONV_INLINE void conv_out_2x2(const edgenn_conv_2d_params *p, const int32_t *acc, int32_t c, int8_t *out0,
                                     int8_t *out1) {
    const int8_t v00 = conv_out(p, acc[0], c);
    const int8_t v01 = conv_out(p, acc[1], c + 1);
    const int8_t v10 = conv_out(p, acc[2], c);
    const int8_t v11 = conv_out(p, acc[3], c + 1);
    out0[c] = v00;
    out0[c + 1] = v01;
    out1[c] = v10;
    out1[c + 1] = v11;
}

/* The DSP cores take conv_pairs below, and conv_border where it does not apply. */
#if !EDGENN_CONV_DSP
/*
 * The same sums out of line, for long runs: inside the kernel's loops a 13-register core spills
 * the multiply-accumulate loop's pointers; alone, it keeps them in registers, which outweighs the
 * call once a run has a few dozen values.
 */
CONV_MAY_BE_UNUSED static EDGENN_NOINLINE void conv_dot_2x2(const int8_t *a0, const int8_t *a1, const int8_t *b0, const int8_t *b1,
                                         int32_t n, int32_t *acc) {
    edgenn_dot_s8_2x2(a0, a1, b0, b1, n, acc);
}

EDGENN_CONV_INLINE void conv_dot_pair(const int8_t *a0, const int8_t *a1, const int8_t *b0, const int8_t *b1,
                                      int32_t n, int32_t *acc) {
    if (EDGENN_CONV_SCALAR && n >= 32) {
        conv_dot_2x2(a0, a1, b0, b1, n, acc);
    } else {
        edgenn_dot_s8_2x2(a0, a1, b0, b1, n, acc);
    }
}

/* Two windows that see no padding: every output channel of both, two channels at a time. */
CONV_MAY_BE_UNUSED static void conv_inner_pair(const edgenn_conv_2d_params *p, const int8_t *x0, const int8_t *x1,
                            const int8_t *weights, int8_t *out0, int8_t *out1) {
    const int32_t depth = p->filter_h * p->filter_w * p->group_c;
    int32_t g;
    int32_t c;
    int32_t r;
    for (g = 0; g < p->groups; ++g) {
        const int8_t *a0 = x0 + g * p->group_c;
        const int8_t *a1 = x1 + g * p->group_c;
        const int32_t end = (g + 1) * p->group_out;
        for (c = g * p->group_out; c + 1 < end; c += 2) {
            const int8_t *w0 = weights + c * depth;
            const int8_t *w1 = w0 + depth;
            int32_t acc[4];
            acc[0] = p->bias[c];
            acc[1] = p->bias[c + 1];
            acc[2] = acc[0];
            acc[3] = acc[1];
            if (p->runs == 1) {
                /* A single run (pointwise convolutions) starts at offset 0; no loop frees registers. */
                conv_dot_pair(a0, a1, w0, w1, p->run_len, acc);
            } else {
                for (r = 0; r < p->runs; ++r) {
                    const int32_t at = conv_run_at(p, r);
                    const int32_t wat = r * p->run_len;
                    conv_dot_pair(a0 + at, a1 + at, w0 + wat, w1 + wat, p->run_len, acc);
                }
            }
            conv_out_2x2(p, acc, c, out0, out1);
        }
        if (c < end) {
            const int8_t *w0 = weights + c * depth;
            int32_t acc0 = p->bias[c];
            int32_t acc1 = acc0;
            for (r = 0; r < p->runs; ++r) {
                const int32_t at = conv_run_at(p, r);
                const int32_t wat = r * p->run_len;
                acc0 += edgenn_dot_s8(a0 + at, w0 + wat, p->run_len);
                acc1 += edgenn_dot_s8(a1 + at, w0 + wat, p->run_len);
            }
            out0[c] = conv_out(p, acc0, c);
            out1[c] = conv_out(p, acc1, c);
        }
    }
}

/* One window that sees no padding. */
CONV_MAY_BE_UNUSED static void conv_inner_one(const edgenn_conv_2d_params *p, const int8_t *x, const int8_t *weights, int8_t *out) {
    const int32_t depth = p->filter_h * p->filter_w * p->group_c;
    int32_t c;
    int32_t r;
    for (c = 0; c < p->group_out * p->groups; ++c) {
        const int8_t *a = x + (c / p->group_out) * p->group_c;
        const int8_t *w = weights + c * depth;
        int32_t acc = p->bias[c];
        for (r = 0; r < p->runs; ++r) {
            acc += edgenn_dot_s8(a + conv_run_at(p, r), w + r * p->run_len, p->run_len);
        }
        out[c] = conv_out(p, acc, c);
    }
}

#endif

/*
 * Out of line for vector units: inlined into the loops below, compilers no longer vectorize these.
 * Scalar cores keep them inline.
 */
#if EDGENN_CONV_SCALAR
#define conv_dot_offset edgenn_dot_s8_offset
#define conv_dot_offset_1x2 edgenn_dot_s8_offset_1x2
#else
CONV_MAY_BE_UNUSED static EDGENN_NOINLINE int32_t conv_dot_offset(const int8_t *a, const int8_t *b, int32_t n, int32_t offset) {
    return edgenn_dot_s8_offset(a, b, n, offset);
}

CONV_MAY_BE_UNUSED static EDGENN_NOINLINE void conv_dot_offset_1x2(const int8_t *a, const int8_t *b0, const int8_t *b1, int32_t n,
                                                int32_t offset, int32_t *acc) {
    edgenn_dot_s8_offset_1x2(a, b0, b1, n, offset, acc);
}
#endif

/*
 * A window that overlaps the padding: TFLM adds input_offset tap by tap and skips taps outside the
 * input, so the folded bias does not apply: (bias_raw, input_offset). (iy, ix) is the window's first
 * tap, maybe outside. Windows inside the input may come here too, with (bias, 0).
 */
CONV_MAY_BE_UNUSED static void conv_border(const edgenn_conv_2d_params *p, const int8_t *input, int32_t iy, int32_t ix,
                        const int8_t *weights, int8_t *out, const int32_t *bias, int32_t offset) {
    const int32_t depth = p->filter_h * p->filter_w * p->group_c;
    /* Without dilation or groups, the taps of one filter row are contiguous in the input. */
    const int merge = p->dilation_w == 1 && p->groups == 1;
    int32_t ky0;
    int32_t ky1;
    int32_t kx0;
    int32_t kx1;
    int32_t c = 0;
    int32_t ky;
    int32_t kx;
    edgenn_conv_taps(iy, p->in_h, p->filter_h, p->dilation_h, &ky0, &ky1);
    edgenn_conv_taps(ix, p->in_w, p->filter_w, p->dilation_w, &kx0, &kx1);
    if (merge && !EDGENN_OPTIMIZE_SIZE) {
        /* Two output channels per pass share each input load. */
        for (; c + 1 < p->group_out * p->groups; c += 2) {
            const int8_t *w = weights + c * depth;
            int32_t acc[2];
            acc[0] = bias[c];
            acc[1] = bias[c + 1];
            for (ky = ky0; ky < ky1; ++ky) {
                const int32_t row = ((iy + ky * p->dilation_h) * p->in_w + ix + kx0) * p->in_c;
                const int32_t at = (ky * p->filter_w + kx0) * p->group_c;
                conv_dot_offset_1x2(input + row, w + at, w + depth + at, (kx1 - kx0) * p->in_c, offset, acc);
            }
            out[c] = conv_out(p, acc[0], c);
            out[c + 1] = conv_out(p, acc[1], c + 1);
        }
    }
    for (; c < p->group_out * p->groups; ++c) {
        const int32_t channel = (c / p->group_out) * p->group_c;
        const int8_t *w = weights + c * depth;
        int32_t acc = bias[c];
        for (ky = ky0; ky < ky1; ++ky) {
            /* An index, not a pointer: with ix < 0 the row's start lies before the input. */
            const int32_t row = ((iy + ky * p->dilation_h) * p->in_w + ix) * p->in_c + channel;
            const int8_t *wr = w + ky * p->filter_w * p->group_c;
            if (merge) {
                acc += conv_dot_offset(input + (row + kx0 * p->in_c), wr + kx0 * p->group_c,
                                       (kx1 - kx0) * p->group_c, offset);
            } else {
                for (kx = kx0; kx < kx1; ++kx) {
                    acc += conv_dot_offset(input + (row + kx * p->dilation_w * p->in_c), wr + kx * p->group_c,
                                           p->group_c, offset);
                }
            }
        }
        out[c] = conv_out(p, acc, c);
    }
}

/*
 * The DSP cores' and SSE2 hosts' path. Every pair of output pixels reads its two windows as two rows
 * of `depth` values, `depth` apart: in place for pointwise convolutions (the next pixel's input
 * follows), else copied in weight order into a stack buffer (im2col), with taps outside the input set
 * to -input_offset, whose product with any weight is then 0 after the offset, so the folded bias
 * serves every window. Each pair of output channels then runs one loop whose four sums stay in
 * registers, over the whole window, however short its runs in the input.
 */
#define EDGENN_CONV_PAIRS ((EDGENN_CONV_DSP || EDGENN_CONV_SSE2) && !EDGENN_OPTIMIZE_SIZE)
/* Packed int4 and sparse weights (packed.h) are read in the loop of this path on every core. */
#define EDGENN_CONV_PACKED (EDGENN_USE_CONV_INT4 || EDGENN_USE_CONV_SPARSE || EDGENN_USE_CONV_LUT4)

#if EDGENN_CONV_PAIRS || EDGENN_CONV_PACKED
#ifndef EDGENN_CONV_PATCH
#define EDGENN_CONV_PATCH 576 /* the deepest window the stack buffer holds; deeper ones take conv_border */
#endif
#if EDGENN_CONV_PATCH < 576 && !EDGENN_USE_CONV_PLAIN
#error "a smaller EDGENN_CONV_PATCH declines windows export counted on this path: turn EDGENN_USE_CONV_PLAIN on"
#endif

CONV_MAY_BE_UNUSED static void conv_fill(int8_t *dst, int32_t n, int8_t v) {
    int32_t i;
    for (i = 0; i < n; ++i) {
        dst[i] = v;
    }
}

/* Word copies: the DSP cores load and store unaligned words. */
EDGENN_CONV_INLINE void conv_copy(int8_t *dst, const int8_t *src, int32_t n) {
#if EDGENN_CONV_DSP
    for (; n >= 4; n -= 4) {
        const uint32_t v = edgenn_load4(src);
        memcpy(dst, &v, sizeof v);
        dst += 4;
        src += 4;
    }
    for (; n > 0; --n) {
        *dst++ = *src++;
    }
#else
    memcpy(dst, src, (size_t)n);
#endif
}

/*
 * Window (iy, ix)'s taps of group g, in weight order, from the batch's input `in`; `inner` where the
 * window sees no padding.
 */
CONV_MAY_BE_UNUSED static void conv_patch(const edgenn_conv_2d_params *p, const int8_t *in, int32_t iy, int32_t ix, int32_t g,
                       int inner, int8_t *dst) {
    const int8_t fill = (int8_t)-p->input_offset;
    const int32_t gc = p->group_c;
    const int32_t row = p->filter_w * gc;
    /* Without dilation or groups a filter row's taps are contiguous in the input: one copy. */
    const int merge = p->dilation_w == 1 && p->groups == 1;
    int32_t kx0;
    int32_t kx1;
    int32_t ky;
    int32_t kx;
    if (inner && merge) {
        /* The common case in few steps: one copy per filter row. */
        const int32_t down = p->dilation_h * p->in_w * p->in_c;
        const int8_t *src = in + (iy * p->in_w + ix) * p->in_c;
        for (ky = 0; ky < p->filter_h; ++ky) {
            conv_copy(dst, src, row);
            dst += row;
            src += down;
        }
        return;
    }
    edgenn_conv_taps(ix, p->in_w, p->filter_w, p->dilation_w, &kx0, &kx1);
    for (ky = 0; ky < p->filter_h; ++ky) {
        const int32_t y = iy + ky * p->dilation_h;
        if (y < 0 || y >= p->in_h) {
            conv_fill(dst, row, fill);
        } else {
            /* An index, not a pointer: with ix < 0 the row's start lies before the input. */
            const int32_t at = (y * p->in_w + ix) * p->in_c + g * gc;
            conv_fill(dst, kx0 * gc, fill);
            if (merge) {
                conv_copy(dst + kx0 * gc, in + (at + kx0 * gc), (kx1 - kx0) * gc);
            } else {
                for (kx = kx0; kx < kx1; ++kx) {
                    conv_copy(dst + kx * gc, in + (at + kx * p->dilation_w * p->in_c), gc);
                }
            }
            conv_fill(dst + kx1 * gc, row - kx1 * gc, fill);
        }
        dst += row;
    }
}

#endif

#if EDGENN_CONV_SSE2
/* Output channels [c, end) of two pixels whose windows are x[0, n) and x[n, 2n). */
CONV_MAY_BE_UNUSED static void conv_pixels(const edgenn_conv_2d_params *p, const int8_t *x, int32_t c, int32_t end,
                        const int8_t *weights, int8_t *out0, int8_t *out1) {
    const int32_t n = p->filter_h * p->filter_w * p->group_c;
#if EDGENN_CONV_AVX2
    const int32_t k = p->rq_k;
    const __m128i lo = _mm_set1_epi32(p->act_min);
    const __m128i hi = _mm_set1_epi32(p->act_max);
#endif
    for (; c + 1 < end; c += 2) {
        const int8_t *w = weights + c * n;
        int32_t acc[4];
        acc[0] = p->bias[c];
        acc[1] = p->bias[c + 1];
        acc[2] = acc[0];
        acc[3] = acc[1];
        edgenn_sse_dot(x, x + n, w, w + n, n, 0, 2, 2, acc);
#if EDGENN_CONV_AVX2
        if (EDGENN_RQ_ONE(k)) {
            /* Lanes (pixel 0, c), (0, c + 1), (1, c), (1, c + 1): the pair's constants twice. */
            const int32_t m0 = p->multiplier[EDGENN_QCH(c)];
            const int32_t m1 = p->multiplier[EDGENN_QCH(c + 1)];
            const int32_t s0 = p->shift[EDGENN_QCH(c)];
            const int32_t s1 = p->shift[EDGENN_QCH(c + 1)];
            const __m128i m = _mm_setr_epi32(m0, m1, m0, m1);
            const __m128i sh = _mm_setr_epi32(s0, s1, s0, s1);
            const uint32_t v = edgenn_avx_bytes4(
                edgenn_avx_rq4(_mm_loadu_si128((const __m128i *)(const void *)acc), m, sh, k, lo, hi));
            const uint16_t v0 = (uint16_t)v;
            const uint16_t v1 = (uint16_t)(v >> 16);
            memcpy(out0 + c, &v0, sizeof v0);
            memcpy(out1 + c, &v1, sizeof v1);
            continue;
        }
#endif
        conv_out_2x2(p, acc, c, out0, out1);
    }
    if (c < end) {
        int32_t acc[4];
        acc[0] = p->bias[c];
        acc[2] = acc[0];
        edgenn_sse_dot(x, x + n, weights + c * n, NULL, n, 0, 2, 1, acc);
        out0[c] = conv_out(p, acc[0], c);
        out1[c] = conv_out(p, acc[2], c);
    }
}
#endif

#if EDGENN_CONV_DSP
/* (x >> 1) saturated to int8: the last halving of edgenn_conv_rq2. */
EDGENN_CONV_INLINE int32_t conv_sat8(int32_t x) {
    int32_t r;
    __asm__("ssat %0, #8, %1, asr #1" : "=r"(r) : "r"(x));
    return r;
}

/* An int8 value in every byte of a word. */
EDGENN_CONV_INLINE uint32_t conv_bytes4(int32_t v) { return ((uint32_t)v & 0xffu) * 0x01010101u; }

/* The low two bytes of v to dst[0], dst[1]: one STRH, which the DSP cores allow unaligned. */
EDGENN_CONV_INLINE void conv_store2(int8_t *dst, uint32_t v) {
    const uint16_t h = (uint16_t)v;
    memcpy(dst, &h, sizeof h);
}

/* Output channel c's value to out[c] in TFLM's two steps, or for an odd last channel: out of line. */
CONV_MAY_BE_UNUSED static EDGENN_NOINLINE void conv_out_cold(const edgenn_conv_2d_params *p, int32_t acc, int32_t c, int8_t *out) {
    out[c] = conv_out(p, acc, c);
}

/* The requantization constants of a layer, read into locals once per call: an asm block that clobbers
 * memory would have them reloaded from the params after every pair of channels. */
typedef struct {
    int32_t k;
    const int32_t *mul;
    const int8_t *shift;
    uint32_t lo; /* act_min in every byte */
    uint32_t hi; /* act_max in every byte */
} conv_consts;

/*
 * Channels c, c + 1 of two pixels from their sums: with the one-multiply requantization, four results
 * saturated to int8, packed into one word, clamped to the activation range a byte at a time (SSUB8 sets
 * a flag per byte, SEL picks by them) and stored as two halfwords; else TFLM's two steps, out of line.
 */
EDGENN_CONV_INLINE void conv_finish_2x2(const edgenn_conv_2d_params *p, const conv_consts *q, int32_t s00,
                                        int32_t s01, int32_t s10, int32_t s11, int32_t c, int8_t *out0,
                                        int8_t *out1) {
    const int32_t k = q->k;
    const uint32_t lo = q->lo;
    const uint32_t hi = q->hi;
    if (EDGENN_RQ_ONE(k)) {
        const int32_t m0 = q->mul[EDGENN_QCH(c)];
        const int32_t m1 = q->mul[EDGENN_QCH(c + 1)];
        const int32_t r0 = q->shift[EDGENN_QCH(c)];
        const int32_t r1 = q->shift[EDGENN_QCH(c + 1)];
        uint32_t v = (uint32_t)conv_sat8(edgenn_conv_rq2(s00, m0, r0, k));
        uint32_t t;
        __asm__("bfi %[v], %[b], #8, #8\n\t"
                "bfi %[v], %[c], #16, #8\n\t"
                "bfi %[v], %[d], #24, #8\n\t"
                "ssub8 %[t], %[v], %[lo]\n\t"
                "sel %[v], %[v], %[lo]\n\t"
                "ssub8 %[t], %[v], %[hi]\n\t"
                "sel %[v], %[hi], %[v]"
                : [v] "+&r"(v), [t] "=&r"(t)
                : [b] "r"(conv_sat8(edgenn_conv_rq2(s01, m1, r1, k))),
                  [c] "r"(conv_sat8(edgenn_conv_rq2(s10, m0, r0, k))),
                  [d] "r"(conv_sat8(edgenn_conv_rq2(s11, m1, r1, k))), [lo] "r"(lo), [hi] "r"(hi)
                : "cc");
        conv_store2(out0 + c, v);
        conv_store2(out1 + c, v >> 16);
    } else {
        conv_out_cold(p, s00, c, out0);
        conv_out_cold(p, s01, c + 1, out0);
        conv_out_cold(p, s10, c, out1);
        conv_out_cold(p, s11, c + 1, out1);
    }
}

/*
 * Output channels [c, end) of two pixels whose windows are x[0, n) and x[n, 2n), n >= 4. The loop
 * takes whole words; the last n % 4 values come from the words ending each row, their first bytes
 * masked off the input side.
 */
/* The next word of both windows (a and a + n), split into int16 pairs: window 0's even bytes in u2 and
 * odd ones in u1, window 1's in u3 and u0. The 2 x 2 loops below start each word with it. */
#define CONV_WINDOWS_WORD \
"ldr %[u0], [%[a], %[n]]\n\t" \
"ldr %[u1], [%[a]], #4\n\t" \
"sxtb16 %[u2], %[u1]\n\t" \
"sxtb16 %[u1], %[u1], ror #8\n\t" \
"sxtb16 %[u3], %[u0]\n\t" \
"sxtb16 %[u0], %[u0], ror #8\n\t"

/* One word of the 2 x 2 loop: 16 products from 4 loads, 8 unpacks and 8 SMLADs. */
#define CONV_DSP_WORD \
CONV_WINDOWS_WORD \
"ldr %[u4], [%[w], %[n]]\n\t" \
"sxtb16 %[u5], %[u4]\n\t" \
"sxtb16 %[u4], %[u4], ror #8\n\t" \
"smlad %[s01], %[u2], %[u5], %[s01]\n\t" \
"smlad %[s01], %[u1], %[u4], %[s01]\n\t" \
"smlad %[s11], %[u3], %[u5], %[s11]\n\t" \
"smlad %[s11], %[u0], %[u4], %[s11]\n\t" \
"ldr %[u4], [%[w]], #4\n\t" \
"sxtb16 %[u5], %[u4]\n\t" \
"sxtb16 %[u4], %[u4], ror #8\n\t" \
"smlad %[s00], %[u2], %[u5], %[s00]\n\t" \
"smlad %[s00], %[u1], %[u4], %[s00]\n\t" \
"smlad %[s10], %[u3], %[u5], %[s10]\n\t" \
"smlad %[s10], %[u0], %[u4], %[s10]\n\t"

CONV_MAY_BE_UNUSED static void conv_pixels(const edgenn_conv_2d_params *p, const int8_t *x, int32_t c, int32_t end,
                        const int8_t *weights, int8_t *out0, int8_t *out1) {
    const int32_t n = p->filter_h * p->filter_w * p->group_c;
    const int32_t rest = n & 3;
    const int8_t *const stop = x + (n & ~3);
    const uint32_t mask = rest ? ~0u << (8 * (4 - rest)) : 0u;
    const uint32_t t0 = edgenn_load4(x + n - 4) & mask;
    const uint32_t t1 = edgenn_load4(x + 2 * n - 4) & mask;
    const int32_t *const bias = p->bias;
    const conv_consts q = {p->rq_k, p->multiplier, p->shift, conv_bytes4(p->act_min), conv_bytes4(p->act_max)};
    /* Row c of the weights; the loop leaves w at the row's last whole word, n + rest before row c + 2. */
    const int8_t *w = weights + c * n;
    for (; c + 1 < end; c += 2, w += n + rest) {
        const int8_t *a = x;
        int32_t s00 = bias[c];
        int32_t s01 = bias[c + 1];
        int32_t s10 = s00;
        int32_t s11 = s01;
        uint32_t u0;
        uint32_t u1;
        uint32_t u2;
        uint32_t u3;
        uint32_t u4;
        uint32_t u5;
        /*
         * 16 products from 4 loads, 8 unpacks and 8 SMLADs per word; the other row of each pair is one
         * offset register away, which leaves every operand in a register.
         */
        __asm__(/* two words a turn; an odd count starts with the second half */
                "sub %[u0], %[stop], %[a]\n\t"
                "tst %[u0], #4\n\t"
                "bne 2f\n"
                "1:\n\t"
                CONV_DSP_WORD
                "2:\n\t"
                CONV_DSP_WORD
                "cmp %[a], %[stop]\n\t"
                "bne 1b"
                : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), [a] "+r"(a), [w] "+r"(w),
                  [u0] "=&r"(u0), [u1] "=&r"(u1), [u2] "=&r"(u2), [u3] "=&r"(u3), [u4] "=&r"(u4), [u5] "=&r"(u5)
                : [n] "r"(n), [stop] "r"(stop)
                : "cc", "memory");
        if (rest) {
            const uint32_t w0 = edgenn_load4(w + rest - 4);
            const uint32_t w1 = edgenn_load4(w + n + rest - 4);
            s00 = __smlad(edgenn_odd16(t0), edgenn_odd16(w0), __smlad(edgenn_even16(t0), edgenn_even16(w0), s00));
            s01 = __smlad(edgenn_odd16(t0), edgenn_odd16(w1), __smlad(edgenn_even16(t0), edgenn_even16(w1), s01));
            s10 = __smlad(edgenn_odd16(t1), edgenn_odd16(w0), __smlad(edgenn_even16(t1), edgenn_even16(w0), s10));
            s11 = __smlad(edgenn_odd16(t1), edgenn_odd16(w1), __smlad(edgenn_even16(t1), edgenn_even16(w1), s11));
        }
        conv_finish_2x2(p, &q, s00, s01, s10, s11, c, out0, out1);
    }
    if (c < end) {
        int8_t *out = out0;
        int32_t j;
        for (j = 0; j < 2; ++j) {
            conv_out_cold(p, p->bias[c] + edgenn_dot_s8(x + j * n, w, n), c, out);
            out = out1;
        }
    }
}

#if EDGENN_USE_CONV_INT4
/*
 * conv_pixels for int4 weights (packed.h): channels c, c + 1 share a row of n bytes, channel c's values
 * in the low nibbles and c + 1's in the high ones. Per word of both windows, one word of that row: its
 * high nibbles masked in place are channel c + 1's four values times 16, its low ones shifted up channel
 * c's, each split into int16 pairs by SXTB16. The sums are 16 times the dot products, exactly: a product
 * is at most 128 * 128 and export keeps n below 2^17. The last n % 4 values go one at a time.
 */
#define CONV_INT4_WORD \
CONV_WINDOWS_WORD \
"ldr %[u4], [%[w]], #4\n\t" \
"lsl %[u5], %[u4], #4\n\t" \
"and %[u5], %[u5], #0xF0F0F0F0\n\t" \
"and %[u4], %[u4], #0xF0F0F0F0\n\t" \
"sxtb16 %[u6], %[u5]\n\t" \
"sxtb16 %[u5], %[u5], ror #8\n\t" \
"smlad %[s00], %[u2], %[u6], %[s00]\n\t" \
"smlad %[s00], %[u1], %[u5], %[s00]\n\t" \
"smlad %[s10], %[u3], %[u6], %[s10]\n\t" \
"smlad %[s10], %[u0], %[u5], %[s10]\n\t" \
"sxtb16 %[u6], %[u4]\n\t" \
"sxtb16 %[u4], %[u4], ror #8\n\t" \
"smlad %[s01], %[u2], %[u6], %[s01]\n\t" \
"smlad %[s01], %[u1], %[u4], %[s01]\n\t" \
"smlad %[s11], %[u3], %[u6], %[s11]\n\t" \
"smlad %[s11], %[u0], %[u4], %[s11]\n\t"

static void conv_pixels_int4(const edgenn_conv_2d_params *p, const int8_t *x, int32_t c, int32_t end,
                             const int8_t *weights, int8_t *out0, int8_t *out1) {
    const int32_t n = p->filter_h * p->filter_w * p->group_c;
    const int32_t whole = n & ~3;
    const int8_t *const stop = x + whole;
    const conv_consts q = {p->rq_k, p->multiplier, p->shift, conv_bytes4(p->act_min), conv_bytes4(p->act_max)};
    int32_t d;
    for (; c + 1 < end; c += 2) {
        const uint8_t *row = (const uint8_t *)weights + (c >> 1) * n;
        const int8_t *a = x;
        const uint8_t *w = row;
        int32_t s00 = 0;
        int32_t s01 = 0;
        int32_t s10 = 0;
        int32_t s11 = 0;
        uint32_t u0;
        uint32_t u1;
        uint32_t u2;
        uint32_t u3;
        uint32_t u4;
        uint32_t u5;
        uint32_t u6;
        if (whole > 0) {
            /* Fourteen registers: the loop's end is read from memory into a free one. Two words a turn;
             * an odd count starts with the second half. */
            __asm__("ldr %[u4], %[stop]\n\t"
                    "sub %[u0], %[u4], %[a]\n\t"
                    "tst %[u0], #4\n\t"
                    "bne 2f\n"
                    "1:\n\t"
                    CONV_INT4_WORD
                    "2:\n\t"
                    CONV_INT4_WORD
                    "ldr %[u4], %[stop]\n\t"
                    "cmp %[a], %[u4]\n\t"
                    "bne 1b"
                    : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), [a] "+r"(a),
                      [w] "+r"(w), [u0] "=&r"(u0), [u1] "=&r"(u1), [u2] "=&r"(u2), [u3] "=&r"(u3),
                      [u4] "=&r"(u4), [u5] "=&r"(u5), [u6] "=&r"(u6)
                    : [n] "r"(n), [stop] "m"(stop)
                    : "cc", "memory");
        }
        s00 = p->bias[c] + (s00 >> 4);
        s01 = p->bias[c + 1] + (s01 >> 4);
        s10 = p->bias[c] + (s10 >> 4);
        s11 = p->bias[c + 1] + (s11 >> 4);
        for (d = whole; d < n; ++d) {
            const int32_t w0 = edgenn_int4_at(row, d, 0);
            const int32_t w1 = edgenn_int4_at(row, d, 4);
            s00 += x[d] * w0;
            s01 += x[d] * w1;
            s10 += x[n + d] * w0;
            s11 += x[n + d] * w1;
        }
        conv_finish_2x2(p, &q, s00, s01, s10, s11, c, out0, out1);
    }
    if (c < end) {
        const uint8_t *row = (const uint8_t *)weights + (c >> 1) * n;
        int32_t s0 = p->bias[c];
        int32_t s1 = s0;
        for (d = 0; d < n; ++d) {
            const int32_t w0 = edgenn_int4_at(row, d, 0);
            s0 += x[d] * w0;
            s1 += x[n + d] * w0;
        }
        conv_out_cold(p, s0, c, out0);
        conv_out_cold(p, s1, c, out1);
    }
}
#endif

#endif

#if EDGENN_CONV_PAIRS || EDGENN_CONV_PACKED
/* Where output pixel i's window starts: batch input, first tap (iy, ix); whether it sees no padding. */
CONV_MAY_BE_UNUSED static int conv_where(const edgenn_conv_2d_params *p, int32_t i, int32_t *b, int32_t *iy, int32_t *ix) {
    const int32_t ox = i % p->out_w;
    const int32_t oy = (i / p->out_w) % p->out_h;
    *b = i / (p->out_w * p->out_h);
    *iy = oy * p->stride_h - p->pad_top;
    *ix = ox * p->stride_w - p->pad_left;
    return oy >= p->inner_y0 && oy < p->inner_y1 && ox >= p->inner_x0 && ox < p->inner_x1;
}

/*
 * The layer on the pairs path; 0 where it does not apply (windows of under 4 values, or too deep to copy).
 * conv_2d.features in edgenn/reference/conv_2d.py mirrors this choice.
 */
typedef void (*conv_pixels_fn)(const edgenn_conv_2d_params *p, const int8_t *x, int32_t c, int32_t end,
                               const int8_t *weights, int8_t *out0, int8_t *out1);

CONV_MAY_BE_UNUSED static EDGENN_NOINLINE int conv_pairs(const edgenn_conv_2d_params *p, const int8_t *input, const int8_t *weights,
                                      int8_t *output, conv_pixels_fn run) {
    const int32_t n = p->filter_h * p->filter_w * p->group_c;
    const int32_t pixels = p->batches * p->out_h * p->out_w;
    const int32_t image = p->in_h * p->in_w * p->in_c;
    const int32_t stride = p->out_c;
    /* Windows in place: one run of n values, the next pixel's n values on. */
    const int flat = p->runs == 1 && p->groups == 1 && p->stride_w * p->in_c == n;
    const int32_t pair = pixels >= 2; /* else the lone pixel pairs with itself */
    const int all = flat && pair && p->batches == 1 && p->out_h == 1 && p->inner_y1 == 1 && p->inner_x0 == 0 &&
                    p->inner_x1 == p->out_w && p->pad_left == 0;
    int8_t patch[2 * EDGENN_CONV_PATCH];
    int32_t i;
    if (n < 4 || (n > EDGENN_CONV_PATCH && !all)) {
        return 0;
    }
    if (all) {
        /* Every pair in place (a pointwise convolution over every pixel, one long row). */
        for (i = 0; i < pixels; i += 2) {
            const int32_t i0 = i + 1 < pixels ? i : i - 1;
            run(p, input + i0 * n, 0, p->group_out, weights, output + i0 * stride, output + (i0 + 1) * stride);
        }
        return 1;
    }
    for (i = 0; i < pixels; i += 2) {
        /* An odd last pixel goes with the one before, which it computes again; a lone one with itself. */
        const int32_t i0 = i + 1 < pixels ? i : i - pair;
        const int32_t i1 = i0 + pair;
        int32_t b0;
        int32_t b1;
        int32_t iy0;
        int32_t iy1;
        int32_t ix0;
        int32_t ix1;
        const int in0 = conv_where(p, i0, &b0, &iy0, &ix0);
        const int in1 = conv_where(p, i1, &b1, &iy1, &ix1);
        int8_t *out0 = output + i0 * stride;
        int8_t *out1 = output + i1 * stride;
        if (flat && pair && in0 && in1 && b0 == b1 && iy0 == iy1) {
            run(p, input + b0 * image + (iy0 * p->in_w + ix0) * p->in_c, 0, p->group_out, weights, out0, out1);
        } else {
            int32_t g;
            for (g = 0; g < p->groups; ++g) {
                conv_patch(p, input + b0 * image, iy0, ix0, g, in0, patch);
                conv_patch(p, input + b1 * image, iy1, ix1, g, in1, patch + n);
                run(p, patch, g * p->group_out, (g + 1) * p->group_out, weights, out0, out1);
            }
        }
    }
    return 1;
}


#if EDGENN_USE_CONV_SPARSE
/*
 * conv_pixels for sparse weights (packed.h): `weights` is the layer's edgenn_packed, and the channels
 * run from 0 (one group) in pairs. Each block of a pair's is one word of each window and one word of
 * each channel: on the DSP cores 16 products from 5 loads, 8 unpacks and 8 SMLADs, as the dense loop
 * takes a word; the blocks that hold no nonzero are skipped. A last partial block (its index n / 4,
 * where n % 4 is not 0) goes value by value, so that no load reads past a window.
 */
static void conv_pixels_sparse(const edgenn_conv_2d_params *p, const int8_t *x, int32_t c, int32_t end,
                               const int8_t *weights, int8_t *out0, int8_t *out1) {
    const edgenn_packed *w = (const edgenn_packed *)(const void *)weights;
    const int32_t n = w->depth;
    const int8_t *const x1 = x + n;
    const uint8_t *idx = w->data;
    const int8_t *v = w->values;
#if EDGENN_CONV_DSP
    const conv_consts q = {p->rq_k, p->multiplier, p->shift, conv_bytes4(p->act_min), conv_bytes4(p->act_max)};
#endif
    for (; c < end; c += 2) {
        const uint8_t *at = idx;
        const int8_t *wv = v;
        const uint8_t *stop = idx + w->counts[c >> 1];
        int32_t s00 = 0;
        int32_t s01 = 0;
        int32_t s10 = 0;
        int32_t s11 = 0;
        int32_t j;
        idx = stop;
        v += 8 * (stop - at);
        if ((n & 3) && stop != at && (int32_t)stop[-1] == (n >> 2)) {
            const int8_t *tail = v - 8;
            for (j = 0; j < (n & 3); ++j) {
                s00 += x[(n & ~3) + j] * tail[j];
                s01 += x[(n & ~3) + j] * tail[4 + j];
                s10 += x1[(n & ~3) + j] * tail[j];
                s11 += x1[(n & ~3) + j] * tail[4 + j];
            }
            --stop;
        }
        for (; at != stop; wv += 8) {
            const int32_t b = 4 * (int32_t)*at++;
#if EDGENN_CONV_DSP
            const uint32_t u0 = edgenn_load4(x + b);
            const uint32_t u1 = edgenn_load4(x1 + b);
            const uint32_t w0 = edgenn_load4(wv);
            const uint32_t w1 = edgenn_load4(wv + 4);
            const int32_t e0 = edgenn_even16(u0);
            const int32_t o0 = edgenn_odd16(u0);
            const int32_t e1 = edgenn_even16(u1);
            const int32_t o1 = edgenn_odd16(u1);
            const int32_t we = edgenn_even16(w0);
            const int32_t wo = edgenn_odd16(w0);
            const int32_t ve = edgenn_even16(w1);
            const int32_t vo = edgenn_odd16(w1);
            s00 = __smlad(e0, we, __smlad(o0, wo, s00));
            s10 = __smlad(e1, we, __smlad(o1, wo, s10));
            s01 = __smlad(e0, ve, __smlad(o0, vo, s01));
            s11 = __smlad(e1, ve, __smlad(o1, vo, s11));
#else
            for (j = 0; j < 4; ++j) {
                s00 += x[b + j] * wv[j];
                s01 += x[b + j] * wv[4 + j];
                s10 += x1[b + j] * wv[j];
                s11 += x1[b + j] * wv[4 + j];
            }
#endif
        }
        s00 += p->bias[c];
        s10 += p->bias[c];
        if (c + 1 < end) {
            s01 += p->bias[c + 1];
            s11 += p->bias[c + 1];
#if EDGENN_CONV_DSP
            conv_finish_2x2(p, &q, s00, s01, s10, s11, c, out0, out1);
#else
            out0[c + 1] = conv_out(p, s01, c + 1);
            out1[c + 1] = conv_out(p, s11, c + 1);
            out0[c] = conv_out(p, s00, c);
            out1[c] = conv_out(p, s10, c);
#endif
        } else {
            out0[c] = conv_out(p, s00, c);
            out1[c] = conv_out(p, s10, c);
        }
    }
}

int edgenn_conv_2d_sparse(const edgenn_conv_2d_params *p, const int8_t *input, const edgenn_packed *weights,
                          int8_t *output) {
    return p->groups == 1 && conv_pairs(p, input, (const int8_t *)(const void *)weights, output, conv_pixels_sparse);
}
#endif

#if EDGENN_USE_CONV_LUT4
/* A paired layer's weights as conv_pairs passes them to conv_pixels_lut4. */
typedef struct {
    const edgenn_packed *w;
    const uint32_t *pairs; /* edgenn_lut4_pairs of its table */
} conv_lut4;

#if EDGENN_CONV_DSP
/*
 * One word of both windows against channels c and c + 1 (rows r and r + rb): each channel's two bytes
 * looked up as int16 pairs of weights, (k, k + 2) against the windows' even bytes and (k + 1, k + 3)
 * against their odd ones; two loads and two lookups a channel where dense weights take one load and
 * two SXTB16.
 */
#define CONV_LUT4_WORD \
CONV_WINDOWS_WORD \
"ldrb %[v], [%[r], %[rb]]\n\t" \
"ldr %[v], [%[pt], %[v], lsl #2]\n\t" \
"smlad %[s01], %[u2], %[v], %[s01]\n\t" \
"smlad %[s11], %[u3], %[v], %[s11]\n\t" \
"ldrb %[v], [%[r]], #1\n\t" \
"ldr %[v], [%[pt], %[v], lsl #2]\n\t" \
"smlad %[s00], %[u2], %[v], %[s00]\n\t" \
"smlad %[s10], %[u3], %[v], %[s10]\n\t" \
"ldrb %[v], [%[r], %[rb]]\n\t" \
"ldr %[v], [%[pt], %[v], lsl #2]\n\t" \
"smlad %[s01], %[u1], %[v], %[s01]\n\t" \
"smlad %[s11], %[u0], %[v], %[s11]\n\t" \
"ldrb %[v], [%[r]], #1\n\t" \
"ldr %[v], [%[pt], %[v], lsl #2]\n\t" \
"smlad %[s00], %[u1], %[v], %[s00]\n\t" \
"smlad %[s10], %[u0], %[v], %[s10]\n\t"
#endif

/* Channel c's output of both pixels from their sums: out of line, for the odd last channel and the
 * cores without the DSP extension. */
static EDGENN_NOINLINE void conv_lut4_out(const edgenn_conv_2d_params *p, int32_t s0, int32_t s1, int32_t c,
                                          int8_t *out0, int8_t *out1) {
    out0[c] = conv_out(p, s0, c);
    out1[c] = conv_out(p, s1, c);
}

/*
 * conv_pixels for paired 4-bit indices into one table (packed.h): `weights` is a conv_lut4, and the
 * channels run from 0 (one group) in pairs; an odd last channel is computed with itself. The last
 * n % 4 values go one index at a time.
 */
static void conv_pixels_lut4(const edgenn_conv_2d_params *p, const int8_t *x, int32_t c, int32_t end,
                             const int8_t *weights, int8_t *out0, int8_t *out1) {
    const conv_lut4 *l = (const conv_lut4 *)(const void *)weights;
    const edgenn_packed *w = l->w;
    const uint32_t *pairs = l->pairs;
    const int32_t n = w->depth;
    const int32_t whole = n & ~3;
    const int8_t *const x1 = x + n;
#if EDGENN_CONV_DSP
    const int8_t *const stop = x + whole;
    const conv_consts q = {p->rq_k, p->multiplier, p->shift, conv_bytes4(p->act_min), conv_bytes4(p->act_max)};
#endif
    int32_t d;
    for (; c < end; c += 2) {
        const uint8_t *row0 = w->data + c * w->row_bytes;
        const int32_t rb = c + 1 < end ? w->row_bytes : 0;
        const uint8_t *row1 = row0 + rb;
        int32_t s00 = p->bias[c];
        int32_t s10 = s00;
        int32_t s01 = c + 1 < end ? p->bias[c + 1] : 0;
        int32_t s11 = s01;
#if EDGENN_CONV_DSP
        if (whole > 0) {
            const int8_t *a = x;
            const uint8_t *r = row0;
            uint32_t u0;
            uint32_t u1;
            uint32_t u2;
            uint32_t u3;
            uint32_t v;
            /* Fourteen registers: the loop's end is read from memory into a free one. Two words a turn;
             * an odd count starts with the second half. */
            __asm__("ldr %[v], %[stop]\n\t"
                    "sub %[u0], %[v], %[a]\n\t"
                    "tst %[u0], #4\n\t"
                    "bne 2f\n"
                    "1:\n\t"
                    CONV_LUT4_WORD
                    "2:\n\t"
                    CONV_LUT4_WORD
                    "ldr %[v], %[stop]\n\t"
                    "cmp %[a], %[v]\n\t"
                    "bne 1b"
                    : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), [a] "+r"(a),
                      [r] "+r"(r), [u0] "=&r"(u0), [u1] "=&r"(u1), [u2] "=&r"(u2), [u3] "=&r"(u3), [v] "=&r"(v)
                    : [n] "r"(n), [rb] "r"(rb), [pt] "r"(pairs), [stop] "m"(stop)
                    : "cc", "memory");
        }
#else
        for (d = 0; d < whole; d += 4) {
            const uint32_t e0 = pairs[row0[d >> 1]];
            const uint32_t o0 = pairs[row0[(d >> 1) + 1]];
            const uint32_t e1 = pairs[row1[d >> 1]];
            const uint32_t o1 = pairs[row1[(d >> 1) + 1]];
            s00 += edgenn_lut4_dot4(x + d, e0, o0);
            s10 += edgenn_lut4_dot4(x1 + d, e0, o0);
            s01 += edgenn_lut4_dot4(x + d, e1, o1);
            s11 += edgenn_lut4_dot4(x1 + d, e1, o1);
        }
#endif
        for (d = whole; d < n; ++d) {
            const int32_t w0 = w->values[edgenn_pair_index(row0, d)];
            const int32_t w1 = w->values[edgenn_pair_index(row1, d)];
            s00 += x[d] * w0;
            s10 += x1[d] * w0;
            s01 += x[d] * w1;
            s11 += x1[d] * w1;
        }
#if EDGENN_CONV_DSP
        if (c + 1 < end) {
            conv_finish_2x2(p, &q, s00, s01, s10, s11, c, out0, out1);
            continue;
        }
#else
        if (c + 1 < end) {
            conv_lut4_out(p, s01, s11, c + 1, out0, out1);
        }
#endif
        conv_lut4_out(p, s00, s10, c, out0, out1);
    }
}

int edgenn_conv_2d_lut4(const edgenn_conv_2d_params *p, const int8_t *input, const edgenn_packed *weights,
                        const uint32_t *pairs, int8_t *output) {
    const conv_lut4 l = {weights, pairs};
    return p->groups == 1 && conv_pairs(p, input, (const int8_t *)(const void *)&l, output, conv_pixels_lut4);
}
#endif

#if EDGENN_USE_CONV_INT4 && !EDGENN_CONV_DSP
/* conv_pixels for int4 weights on the cores without the DSP extension: a value at a time. */
static void conv_pixels_int4(const edgenn_conv_2d_params *p, const int8_t *x, int32_t c, int32_t end,
                             const int8_t *weights, int8_t *out0, int8_t *out1) {
    const int32_t n = p->filter_h * p->filter_w * p->group_c;
    for (; c < end; ++c) {
        const uint8_t *row = (const uint8_t *)weights + (c >> 1) * n;
        const uint32_t shift = (uint32_t)(c & 1) * 4u;
        int32_t s0 = p->bias[c];
        int32_t s1 = s0;
        int32_t d;
        for (d = 0; d < n; ++d) {
            const int32_t w = edgenn_int4_at(row, d, shift);
            s0 += x[d] * w;
            s1 += x[n + d] * w;
        }
        out0[c] = conv_out(p, s0, c);
        out1[c] = conv_out(p, s1, c);
    }
}
#endif

#if EDGENN_USE_CONV_INT4
int edgenn_conv_2d_int4(const edgenn_conv_2d_params *p, const int8_t *input, const uint8_t *weights,
                        int8_t *output) {
    return conv_pairs(p, input, (const int8_t *)weights, output, conv_pixels_int4);
}
#endif
#endif

/*
 * `output` may overlap input that earlier windows have consumed (the arena planner places some outputs
 * so: streaming_gap in edgenn/reference/conv_2d.py), hence no `restrict`: every path writes output
 * pixels in row-major order, at most two at a time, each only after reading its own window.
 */
#if EDGENN_USE_CONV_DENSE
void edgenn_conv_2d(const edgenn_conv_2d_params *p, const int8_t *input, const int8_t *weights, int8_t *output) {
#if EDGENN_MVE
    if (edgenn_conv_2d_mve(p, input, weights, output)) {
        return;
    }
#endif
#if EDGENN_CONV_PAIRS
    /* Without CONV_PLAIN (config.h) export found that conv_pairs takes every layer of the model. */
    if (conv_pairs(p, input, weights, output, conv_pixels) || !EDGENN_USE_CONV_PLAIN) {
        return;
    }
#endif
#if !EDGENN_CONV_DSP && !EDGENN_OPTIMIZE_SIZE
    const int32_t step = p->stride_w * p->in_c;
#endif
    int32_t b;
    int32_t oy;
    int32_t ox;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy = oy * p->stride_h - p->pad_top;
            const int inner_row = oy >= p->inner_y0 && oy < p->inner_y1;
            int8_t *out = output + (b * p->out_h + oy) * p->out_w * p->out_c;
            ox = 0;
            while (ox < p->out_w) {
                const int32_t ix = ox * p->stride_w - p->pad_left;
                const int inner = inner_row && ox >= p->inner_x0 && ox < p->inner_x1;
#if EDGENN_CONV_DSP || EDGENN_OPTIMIZE_SIZE /* small code: one loop for every window */
                conv_border(p, in_b, iy, ix, weights, out, inner ? p->bias : p->bias_raw, inner ? 0 : p->input_offset);
#else
                if (inner) {
                    const int8_t *x = in_b + (iy * p->in_w + ix) * p->in_c;
                    if (ox + 1 < p->inner_x1) {
                        conv_inner_pair(p, x, x + step, weights, out, out + p->out_c);
                        out += 2 * p->out_c;
                        ox += 2;
                        continue;
                    }
                    conv_inner_one(p, x, weights, out);
                } else {
                    conv_border(p, in_b, iy, ix, weights, out, p->bias_raw, p->input_offset);
                }
#endif
                out += p->out_c;
                ox += 1;
            }
        }
    }
}
#endif /* EDGENN_USE_CONV_DENSE */
