/* DEPTHWISE_CONV_2D, int8: twin of edgenn/reference/depthwise_conv_2d.py. */
#include "depthwise_conv_2d.h"
#include "depthwise_conv_2d_mve.h"

#include "conv_common.h"

#include <string.h>

EDGENN_CONFIG_MARK(depthwise_conv_2d); /* the kernel paths config.h compiles, for the model's link check */

/* How output channels map to input channels. */
#define DW_SAME 0 /* depth multiplier 1: channel c reads channel c */
#define DW_GENERAL 1

/* Channel c's requantization constants (one per layer where config.h says every layer's are per tensor). */
#define DW_Q(c) EDGENN_QCH(c)

/*
 * One window: taps [ky0, ky1) x [kx0, kx1), `first` indexing its first tap (maybe in the padding)
 * in the batch's input. Windows that see padding start from the raw bias and add the input offset
 * tap by tap (the kernels' `offset`); the others start from the folded bias with offset 0.
 */
typedef struct {
    int32_t first;
    int32_t ky0;
    int32_t ky1;
    int32_t kx0;
    int32_t kx1;
    const int32_t *bias;
} dw_window;

EDGENN_CONV_INLINE int8_t dw_output(const edgenn_depthwise_conv_2d_params *p, int32_t acc, int32_t c) {
    return edgenn_conv_out(acc, c, p->rq_k, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max);
}

#if EDGENN_CONV_AVX2
/* Eight int32 sums requantized (the one-multiply form) and clamped, stored as eight int8. */
EDGENN_CONV_INLINE void dw_store8(const edgenn_depthwise_conv_2d_params *p, __m256i acc, int32_t c, int8_t *out) {
    const __m128i lo = _mm_set1_epi32(p->act_min);
    const __m128i hi = _mm_set1_epi32(p->act_max);
    const __m128i v = _mm_packs_epi32(edgenn_avx_rq4(_mm256_castsi256_si128(acc), edgenn_avx_mult4(p->multiplier, c),
                                                     edgenn_avx_shift4(p->shift, c), p->rq_k, lo, hi),
                                      edgenn_avx_rq4(_mm256_extracti128_si256(acc, 1),
                                                     edgenn_avx_mult4(p->multiplier, c + 4),
                                                     edgenn_avx_shift4(p->shift, c + 4), p->rq_k, lo, hi));
    _mm_storel_epi64((__m128i *)(void *)(out + c), _mm_packs_epi16(v, v));
}

/*
 * Output channels [c, c + width) for width 8 or 16 (a constant at each call) with AVX2: per tap, one
 * VPMULLW takes every channel's product (|x + offset| <= 255 and |w| <= 128: exact in int16), widened
 * into eight-lane sums; the requantization runs four lanes at a time.
 */
EDGENN_CONV_INLINE void dw_block_avx2(const edgenn_depthwise_conv_2d_params *p, const int8_t *input,
                                      const int8_t *weights, const dw_window *win, int32_t offset, int32_t c,
                                      int32_t width, int8_t *out) {
    const int32_t row_step = p->dilation_h * p->in_w * p->in_c;
    const int32_t tap_step = p->dilation_w * p->in_c;
    const __m256i off = _mm256_set1_epi16((int16_t)offset);
    __m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)(win->bias + c));
    __m256i a1 = width == 16 ? _mm256_loadu_si256((const __m256i *)(const void *)(win->bias + c + 8)) : a0;
    int32_t ky;
    int32_t kx;
    for (ky = win->ky0; ky < win->ky1; ++ky) {
        for (kx = win->kx0; kx < win->kx1; ++kx) {
            const int8_t *x = input + (win->first + ky * row_step + kx * tap_step + c);
            const int8_t *w = weights + (ky * p->filter_w + kx) * p->out_c + c;
            if (width == 16) {
                const __m256i pr = _mm256_mullo_epi16(
                    _mm256_add_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)x)), off),
                    _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)w)));
                a0 = _mm256_add_epi32(a0, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(pr)));
                a1 = _mm256_add_epi32(a1, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(pr, 1)));
            } else {
                const __m128i pr = _mm_mullo_epi16(
                    _mm_add_epi16(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(const void *)x)),
                                  _mm256_castsi256_si128(off)),
                    _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(const void *)w)));
                a0 = _mm256_add_epi32(a0, _mm256_cvtepi16_epi32(pr));
            }
        }
    }
    dw_store8(p, a0, c, out);
    if (width == 16) {
        dw_store8(p, a1, c + 8, out);
    }
}
#endif

/*
 * Output channels [c, c + width), accumulated a block at a time with the channels innermost: the
 * form compilers vectorize. Products are narrowed (|x + offset| <= 255, |w| <= 128 fits int16),
 * which lets 8-wide blocks vectorize in 16-bit lanes.
 */
EDGENN_CONV_INLINE void dw_block(const edgenn_depthwise_conv_2d_params *p, const int8_t *input,
                                 const int8_t *weights, const dw_window *win, int32_t offset, int32_t c,
                                 int32_t width, int8_t *out) {
    const int32_t row_step = p->dilation_h * p->in_w * p->in_c;
    const int32_t tap_step = p->dilation_w * p->in_c;
    int32_t acc[EDGENN_CONV_BLOCK];
    int32_t ky;
    int32_t kx;
    int32_t j;
#if EDGENN_CONV_AVX2
    if ((width == 16 || width == 8) && EDGENN_RQ_ONE(p->rq_k)) {
        dw_block_avx2(p, input, weights, win, offset, c, width, out);
        return;
    }
#endif
    for (j = 0; j < width; ++j) {
        acc[j] = win->bias[c + j];
    }
    for (ky = win->ky0; ky < win->ky1; ++ky) {
        for (kx = win->kx0; kx < win->kx1; ++kx) {
            const int32_t at = win->first + ky * row_step + kx * tap_step;
            const int8_t *w = weights + (ky * p->filter_w + kx) * p->out_c + c;
            const int8_t *x = input + at + c;
            for (j = 0; j < width; ++j) {
                acc[j] += (int16_t)((int16_t)(x[j] + offset) * w[j]);
            }
        }
    }
    {
        /* The constants in locals and the results stored at once: an int8 store may alias them. */
        const int32_t rk = p->rq_k;
        const int32_t *m = p->multiplier;
        const int8_t *s = p->shift;
        const int32_t oo = p->output_offset;
        const int32_t lo = p->act_min;
        const int32_t hi = p->act_max;
        int8_t v[EDGENN_CONV_BLOCK];
        for (j = 0; j < width; ++j) {
            v[j] = edgenn_conv_out(acc[j], c + j, rk, m, s, oo, lo, hi);
        }
        memcpy(out + c, v, (size_t)width);
    }
}

/* Every output channel of one window, in blocks of channels. */
EDGENN_CONV_INLINE void dw_blocks(const edgenn_depthwise_conv_2d_params *p, const int8_t *input,
                                  const int8_t *weights, const dw_window *win, int32_t offset, int8_t *out) {
    int32_t c;
#define DW_BLOCK(c, width) dw_block(p, input, weights, win, offset, (c), (width), out)
    EDGENN_BLOCKS(c, p->out_c, 0, DW_BLOCK);
#undef DW_BLOCK
}

/* Four output channels of one window's tap, a[k] += (x[k] + offset) * w[k], on cores without DSP. */
EDGENN_CONV_INLINE void dw_tap4(const int8_t *x, const int8_t *w, int32_t offset, int32_t *a) {
    a[0] += ((int32_t)x[0] + offset) * (int32_t)w[0];
    a[1] += ((int32_t)x[1] + offset) * (int32_t)w[1];
    a[2] += ((int32_t)x[2] + offset) * (int32_t)w[2];
    a[3] += ((int32_t)x[3] + offset) * (int32_t)w[3];
}

/*
 * Every output channel of one window, one at a time with the taps innermost: depth multipliers
 * above 1 (bar one input channel on the line buffer), where channels next to each other read
 * different inputs.
 */
EDGENN_CONV_INLINE void dw_channels(const edgenn_depthwise_conv_2d_params *p, const int8_t *input,
                                    const int8_t *weights, const dw_window *win, int32_t offset, int8_t *out) {
    const int32_t row_step = p->dilation_h * p->in_w * p->in_c;
    const int32_t tap_step = p->dilation_w * p->in_c;
    int32_t c;
    int32_t ky;
    int32_t kx;
    for (c = 0; c < p->out_c; ++c) {
        const int32_t ic = c / p->depth_multiplier;
        int32_t acc = win->bias[c];
        for (ky = win->ky0; ky < win->ky1; ++ky) {
            const int8_t *x = input + (win->first + ky * row_step + win->kx0 * tap_step + ic);
            const int8_t *w = weights + (ky * p->filter_w + win->kx0) * p->out_c + c;
            for (kx = win->kx0; kx < win->kx1; ++kx) {
                acc += ((int32_t)*x + offset) * (int32_t)*w;
                x += tap_step;
                w += p->out_c;
            }
        }
        out[c] = dw_output(p, acc, c);
    }
}

/* One tap of four channels, then both pointers stepped (dx, dw in bytes). */
#if EDGENN_CONV_DSP
#define DW_TAP(x, w, dx, dw, a)                                                                                \
    do {                                                                                                       \
        int32_t xv_, wv_, xe_, we_;                                                                            \
        __asm__("ldr %[xv], [%[xp]]\n\t"                                                                       \
                "ldr %[wv], [%[wp]]\n\t"                                                                       \
                "add %[xp], %[xp], %[sx]\n\t"                                                                  \
                "add %[wp], %[wp], %[sw]\n\t"                                                                  \
                "sxtb16 %[xe], %[xv]\n\t"                                                                      \
                "sxtb16 %[we], %[wv]\n\t"                                                                      \
                "sxtb16 %[xv], %[xv], ror #8\n\t"                                                              \
                "sxtb16 %[wv], %[wv], ror #8\n\t"                                                              \
                "smlabb %[a0], %[xe], %[we], %[a0]\n\t"                                                        \
                "smlatt %[a2], %[xe], %[we], %[a2]\n\t"                                                        \
                "smlabb %[a1], %[xv], %[wv], %[a1]\n\t"                                                        \
                "smlatt %[a3], %[xv], %[wv], %[a3]"                                                            \
                : [a0] "+r"((a)[0]), [a1] "+r"((a)[1]), [a2] "+r"((a)[2]), [a3] "+r"((a)[3]), [xp] "+r"(x),   \
                  [wp] "+r"(w), [xv] "=&r"(xv_), [wv] "=&r"(wv_), [xe] "=&r"(xe_), [we] "=&r"(we_)             \
                : [sx] "r"(dx), [sw] "r"(dw)                                                                   \
                : "memory");                                                                                   \
    } while (0)
#else
#define DW_TAP(x, w, dx, dw, a)            \
    do {                                   \
        dw_tap4((x), (w), 0, (a)); \
        (x) += (dx);                       \
        (w) += (dw);                       \
    } while (0)
#endif

/*
 * A 3x3 window that sees no padding, depth multiplier 1, on cores without a vector unit: the nine
 * taps unrolled, four channels at a time, requantized in one multiply (p->rq_k != 0). The parameters
 * live in locals because every int8 store could alias the params struct and force reloads; `full`
 * (a constant at each call) says the activation range is all of int8, which one saturation clamps.
 */
EDGENN_CONV_INLINE void dw_3x3_same(const edgenn_depthwise_conv_2d_params *p, const int8_t *x, const int8_t *weights,
                                    int8_t *out, int full) {
    const int32_t tap = p->dilation_w * p->in_c;
    const int32_t row = p->dilation_h * p->in_w * p->in_c - 2 * tap;
    const int32_t oc = p->out_c;
    const int32_t *bias = p->bias;
    const int32_t *m = p->multiplier;
    const int8_t *s = p->shift;
    const int32_t rk = p->rq_k;
    const int32_t lo = p->act_min;
    const int32_t hi = p->act_max;
    int32_t c;
    for (c = 0; c + 4 <= oc; c += 4) {
        const int8_t *xr = x + c;
        const int8_t *w = weights + c;
        int32_t a[4];
        a[0] = bias[c];
        a[1] = bias[c + 1];
        a[2] = bias[c + 2];
        a[3] = bias[c + 3];
        /*
         * Written out, with each tap's loads, pointer steps and products in one piece: left alone,
         * compilers hoist every tap's loads and address arithmetic ahead and spill them.
         */
        DW_TAP(xr, w, tap, oc, a);
        DW_TAP(xr, w, tap, oc, a);
        DW_TAP(xr, w, row, oc, a);
        DW_TAP(xr, w, tap, oc, a);
        DW_TAP(xr, w, tap, oc, a);
        DW_TAP(xr, w, row, oc, a);
        DW_TAP(xr, w, tap, oc, a);
        DW_TAP(xr, w, tap, oc, a);
        DW_TAP(xr, w, tap, oc, a);
        if (full) {
            /* All four before any store: stores through `out` would force the constants' reloads. */
            const int8_t v0 = edgenn_conv_rq_sat8(a[0], m[DW_Q(c)], s[DW_Q(c)], rk);
            const int8_t v1 = edgenn_conv_rq_sat8(a[1], m[DW_Q(c + 1)], s[DW_Q(c + 1)], rk);
            const int8_t v2 = edgenn_conv_rq_sat8(a[2], m[DW_Q(c + 2)], s[DW_Q(c + 2)], rk);
            const int8_t v3 = edgenn_conv_rq_sat8(a[3], m[DW_Q(c + 3)], s[DW_Q(c + 3)], rk);
            out[c] = v0;
            out[c + 1] = v1;
            out[c + 2] = v2;
            out[c + 3] = v3;
        } else {
            const int8_t v0 = edgenn_clamp_int8(edgenn_conv_rq(a[0], m[DW_Q(c)], s[DW_Q(c)], rk), lo, hi);
            const int8_t v1 = edgenn_clamp_int8(edgenn_conv_rq(a[1], m[DW_Q(c + 1)], s[DW_Q(c + 1)], rk), lo, hi);
            const int8_t v2 = edgenn_clamp_int8(edgenn_conv_rq(a[2], m[DW_Q(c + 2)], s[DW_Q(c + 2)], rk), lo, hi);
            const int8_t v3 = edgenn_clamp_int8(edgenn_conv_rq(a[3], m[DW_Q(c + 3)], s[DW_Q(c + 3)], rk), lo, hi);
            out[c] = v0;
            out[c + 1] = v1;
            out[c + 2] = v2;
            out[c + 3] = v3;
        }
    }
    for (; c < oc; ++c) {
        const int8_t *xr = x + c;
        const int8_t *w = weights + c;
        int32_t acc = bias[c];
        int32_t k;
        for (k = 0; k < 3; ++k) {
            acc += (int32_t)xr[0] * w[0] + (int32_t)xr[tap] * w[oc] + (int32_t)xr[2 * tap] * w[2 * oc];
            xr += row + 2 * tap;
            w += 3 * oc;
        }
        out[c] = edgenn_clamp_int8(edgenn_conv_rq(acc, m[DW_Q(c)], s[DW_Q(c)], rk), lo, hi);
    }
}

#if EDGENN_CONV_DSP
/*
 * The nine taps of one 3x3 window into four channels' sums: x the window's first tap (channel c),
 * tap and row the byte steps between columns and rows, wb the group's weights as SXTB16 pairs,
 * taps (ky, kx) in row-major order, two words each: channels (0, 2) then (1, 3). Per tap one load
 * of four inputs, one LDRD of their weights, two extends and four multiply-adds; the third column
 * is [x, tap, lsl #1], so only the rows step the pointer.
 */
#define DW_3X3_TAP(X, OFF)                                                                                     \
    "ldr %[xv], " X "\n\t"                                                                                     \
    "ldrd %[we], %[wo], [%[wb], #" OFF "]\n\t"                                                                 \
    "sxtb16 %[xe], %[xv]\n\t"                                                                                  \
    "sxtb16 %[xv], %[xv], ror #8\n\t"                                                                          \
    "smlabb %[a0], %[xe], %[we], %[a0]\n\t"                                                                    \
    "smlatt %[a2], %[xe], %[we], %[a2]\n\t"                                                                    \
    "smlabb %[a1], %[xv], %[wo], %[a1]\n\t"                                                                    \
    "smlatt %[a3], %[xv], %[wo], %[a3]\n\t"
#define DW_3X3_ROW(O0, O1, O2) \
    DW_3X3_TAP("[%[xp]]", O0) DW_3X3_TAP("[%[xp], %[tap]]", O1) DW_3X3_TAP("[%[xp], %[tap], lsl #1]", O2)

/*
 * The table dw_3x3_table builds per group of four channels: wb's weights, then these words (the asm
 * blocks below address them at 4 * index bytes).
 */
#define DW_3X3_BIAS 18  /* four folded biases */
#define DW_3X3_MUL 22   /* four multipliers */
#define DW_3X3_SHIFT 26 /* four int8 shifts in one word */
#define DW_3X3_K 27     /* rq_k */
#define DW_3X3_TABLE 28

#define DW_3X3_ACCS                                                                                            \
    "ldrd %[a0], %[a1], [%[wb], #72]\n\t"                                                                      \
    "ldrd %[a2], %[a3], [%[wb], #80]\n\t" DW_3X3_ROW("0", "8", "16") "add %[xp], %[xp], %[row]\n\t" DW_3X3_ROW( \
        "24", "32", "40") "add %[xp], %[xp], %[row]\n\t" DW_3X3_ROW("48", "56", "64")

/* The window's four sums, from the folded biases. */
EDGENN_CONV_INLINE void dw_3x3_sums(const int8_t *x, const int32_t *wb, int32_t tap, int32_t row, int32_t *a) {
    int32_t xv, xe, we, wo;
    __asm__(DW_3X3_ACCS
            : [a0] "=&r"(a[0]), [a1] "=&r"(a[1]), [a2] "=&r"(a[2]), [a3] "=&r"(a[3]), [xp] "+r"(x), [xv] "=&r"(xv),
              [xe] "=&r"(xe), [we] "=&r"(we), [wo] "=&r"(wo)
            : [wb] "r"(wb), [tap] "r"(tap), [row] "r"(row)
            : "memory");
}

/*
 * Channel J's output, edgenn_conv_rq_sat8 from the table's constants (k in %[xp], free once the
 * taps are done), left in its accumulator's low byte.
 */
#define DW_3X3_RQ(J, M, S)                                                                                     \
    "ldr %[we], [%[wb], #" M "]\n\t"                                                                           \
    "ldrsb %[wo], [%[wb], #" S "]\n\t"                                                                         \
    "lsl %[xe], %[a" J "], #1\n\t"                                                                             \
    "asr %[a" J "], %[a" J "], #31\n\t"                                                                        \
    "smmlar %[xe], %[xe], %[we], %[a" J "]\n\t"                                                                \
    "asr %[xe], %[xe], %[wo]\n\t"                                                                              \
    "add %[xe], %[xe], %[xp]\n\t"                                                                              \
    "ssat %[a" J "], #8, %[xe], asr #1\n\t"

/* One window of four channels to its four outputs at `out`, the activation range all of int8. */
EDGENN_CONV_INLINE void dw_3x3_pixel_full(const int8_t *x, const int32_t *wb, int32_t tap, int32_t row,
                                          int8_t *out) {
    int32_t a0, a1, a2, a3, xv, xe, we, wo;
    /* volatile: the store is its only effect. */
    __asm__ __volatile__(DW_3X3_ACCS "ldr %[xp], [%[wb], #108]\n\t"
                         DW_3X3_RQ("0", "88", "104") DW_3X3_RQ("1", "92", "105") DW_3X3_RQ("2", "96", "106")
                         DW_3X3_RQ("3", "100", "107") "bfi %[a0], %[a1], #8, #8\n\t"
                         "bfi %[a0], %[a2], #16, #8\n\t"
                         "bfi %[a0], %[a3], #24, #8\n\t"
                         "str %[a0], [%[out]]"
                         : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xp] "+r"(x),
                           [xv] "=&r"(xv), [xe] "=&r"(xe), [we] "=&r"(we), [wo] "=&r"(wo)
                         : [wb] "r"(wb), [tap] "r"(tap), [row] "r"(row), [out] "r"(out)
                         : "memory");
}

/*
 * dw_3x3_row's table for channels [c, c + 4), rebuilt for every row: unrolled, the constants copied
 * whole (narrow rows pay it often), one copy for both forms of the clamp.
 */
static EDGENN_NOINLINE void dw_3x3_table(const edgenn_depthwise_conv_2d_params *p, const int8_t *weights, int32_t c,
                                         int32_t *wb) {
    const int32_t oc = p->out_c;
    const int8_t *w = weights + c;
    int32_t k;
#pragma GCC unroll 9
    for (k = 0; k < 18; k += 2, w += oc) {
        const uint32_t v = edgenn_load4(w);
        wb[k] = edgenn_even16(v);
        wb[k + 1] = edgenn_odd16(v);
    }
    memcpy(&wb[DW_3X3_BIAS], p->bias + c, 4 * sizeof(int32_t));
    if (EDGENN_USE_PER_CHANNEL) {
        memcpy(&wb[DW_3X3_MUL], p->multiplier + c, 4 * sizeof(int32_t));
        memcpy(&wb[DW_3X3_SHIFT], p->shift + c, 4);
    } else {
        /* One multiplier and shift per layer (config.h): the same four times. */
        wb[DW_3X3_MUL] = wb[DW_3X3_MUL + 1] = wb[DW_3X3_MUL + 2] = wb[DW_3X3_MUL + 3] = p->multiplier[0];
        wb[DW_3X3_SHIFT] = (int32_t)(((uint32_t)(uint8_t)p->shift[0]) * 0x01010101u);
    }
    wb[DW_3X3_K] = p->rq_k;
}

/*
 * `count` 3x3 windows of one output row that see no padding, depth multiplier 1, requantized in
 * one multiply (p->rq_k != 0), with the DSP extension. A group of four channels at a time through
 * every window of the row (the kernel may write a row's outputs in any order: streaming_gap in
 * reference/depthwise_conv_2d.py is per row): the group's weights are extended once into a stack
 * table that the windows share, and its constants stay put. `full` (a constant at each call) says
 * the activation range is all of int8, which one saturation clamps.
 */
EDGENN_CONV_INLINE void dw_3x3_row(const edgenn_depthwise_conv_2d_params *p, const int8_t *x, const int8_t *weights,
                                   int8_t *out, int32_t count, int full) {
    const int32_t tap = p->dilation_w * p->in_c;
    const int32_t row = p->dilation_h * p->in_w * p->in_c;
    const int32_t step = p->stride_w * p->in_c;
    const int32_t oc = p->out_c;
    const int32_t *bias = p->bias;
    const int32_t *m = p->multiplier;
    const int8_t *s = p->shift;
    const int32_t rk = p->rq_k;
    const int32_t lo = p->act_min;
    const int32_t hi = p->act_max;
    int32_t wb[DW_3X3_TABLE];
    int32_t c;
    int32_t i;
    for (c = 0; c + 4 <= oc; c += 4) {
        const int8_t *xp = x + c;
        int8_t *o = out + c;
        dw_3x3_table(p, weights, c, wb);
        if (full) {
            for (i = count; i > 0; --i, xp += step, o += oc) {
                dw_3x3_pixel_full(xp, wb, tap, row, o);
            }
            continue;
        }
        for (i = count; i > 0; --i, xp += step, o += oc) {
            int32_t a[4];
            int8_t v0, v1, v2, v3;
            dw_3x3_sums(xp, wb, tap, row, a);
            /* All four before any store: stores through `o` would force the constants' reloads. */
            v0 = edgenn_clamp_int8(edgenn_conv_rq(a[0], m[EDGENN_QCH(c)], s[EDGENN_QCH(c)], rk), lo, hi);
            v1 = edgenn_clamp_int8(edgenn_conv_rq(a[1], m[EDGENN_QCH(c + 1)], s[EDGENN_QCH(c + 1)], rk), lo, hi);
            v2 = edgenn_clamp_int8(edgenn_conv_rq(a[2], m[EDGENN_QCH(c + 2)], s[EDGENN_QCH(c + 2)], rk), lo, hi);
            v3 = edgenn_clamp_int8(edgenn_conv_rq(a[3], m[EDGENN_QCH(c + 3)], s[EDGENN_QCH(c + 3)], rk), lo, hi);
            o[0] = v0;
            o[1] = v1;
            o[2] = v2;
            o[3] = v3;
        }
    }
    for (; c < oc; ++c) {
        const int8_t *xr = x + c;
        int8_t *o = out + c;
        for (i = count; i > 0; --i, xr += step, o += oc) {
            const int8_t *xq = xr;
            const int8_t *w = weights + c;
            int32_t acc = bias[c];
            int32_t k;
            for (k = 0; k < 3; ++k) {
                acc += (int32_t)xq[0] * w[0] + (int32_t)xq[tap] * w[oc] + (int32_t)xq[2 * tap] * w[2 * oc];
                xq += row;
                w += 3 * oc;
            }
            *o = edgenn_clamp_int8(edgenn_conv_rq(acc, m[EDGENN_QCH(c)], s[EDGENN_QCH(c)], rk), lo, hi);
        }
    }
}
#endif

/*
 * `count` windows of one output row through dw_3x3_row (DSP) or dw_3x3_same, out of line: alone,
 * the unrolled taps keep their pointers and accumulators in registers.
 */
static EDGENN_NOINLINE void dw_3x3_row_full(const edgenn_depthwise_conv_2d_params *p, const int8_t *x,
                                            const int8_t *weights, int8_t *out, int32_t count) {
#if EDGENN_CONV_DSP
    dw_3x3_row(p, x, weights, out, count, 1);
#else
    const int32_t step = p->stride_w * p->in_c;
    int32_t i;
    for (i = 0; i < count; ++i, x += step, out += p->out_c) {
        dw_3x3_same(p, x, weights, out, 1);
    }
#endif
}

static EDGENN_NOINLINE void dw_3x3_row_act(const edgenn_depthwise_conv_2d_params *p, const int8_t *x,
                                           const int8_t *weights, int8_t *out, int32_t count) {
#if EDGENN_CONV_DSP
    dw_3x3_row(p, x, weights, out, count, 0);
#else
    const int32_t step = p->stride_w * p->in_c;
    int32_t i;
    for (i = 0; i < count; ++i, x += step, out += p->out_c) {
        dw_3x3_same(p, x, weights, out, 0);
    }
#endif
}

/* DW_TAP with the input offset added to each input (pair: the offset in both int16 halves). */
#if EDGENN_CONV_DSP
#define DW_TAP_OFF(x, w, dx, dw, pair, a)                                                                      \
    do {                                                                                                       \
        int32_t xv_, wv_, xe_, we_;                                                                            \
        __asm__("ldr %[xv], [%[xp]]\n\t"                                                                       \
                "ldr %[wv], [%[wp]]\n\t"                                                                       \
                "add %[xp], %[xp], %[sx]\n\t"                                                                  \
                "add %[wp], %[wp], %[sw]\n\t"                                                                  \
                "sxtb16 %[xe], %[xv]\n\t"                                                                      \
                "sxtb16 %[we], %[wv]\n\t"                                                                      \
                "sxtb16 %[xv], %[xv], ror #8\n\t"                                                              \
                "sxtb16 %[wv], %[wv], ror #8\n\t"                                                              \
                "sadd16 %[xe], %[xe], %[off]\n\t"                                                              \
                "sadd16 %[xv], %[xv], %[off]\n\t"                                                              \
                "smlabb %[a0], %[xe], %[we], %[a0]\n\t"                                                        \
                "smlatt %[a2], %[xe], %[we], %[a2]\n\t"                                                        \
                "smlabb %[a1], %[xv], %[wv], %[a1]\n\t"                                                        \
                "smlatt %[a3], %[xv], %[wv], %[a3]"                                                            \
                : [a0] "+r"((a)[0]), [a1] "+r"((a)[1]), [a2] "+r"((a)[2]), [a3] "+r"((a)[3]), [xp] "+r"(x),   \
                  [wp] "+r"(w), [xv] "=&r"(xv_), [wv] "=&r"(wv_), [xe] "=&r"(xe_), [we] "=&r"(we_)             \
                : [sx] "r"(dx), [sw] "r"(dw), [off] "r"(pair)                                                  \
                : "memory");                                                                                   \
    } while (0)
#else
#define DW_TAP_OFF(x, w, dx, dw, off, a) \
    do {                                 \
        dw_tap4((x), (w), (off), (a));   \
        (x) += (dx);                     \
        (w) += (dw);                     \
    } while (0)
#endif

/* One row of `k` taps, three at a time: TAP(x, w, dx, dw, off, a) the tap's form. */
#define DW_ROW(TAP, k, x, w, dx, dw, off, a)    \
    do {                                        \
        int32_t k_ = (k);                       \
        for (; k_ >= 3; k_ -= 3) {              \
            TAP(x, w, dx, dw, off, a);          \
            TAP(x, w, dx, dw, off, a);          \
            TAP(x, w, dx, dw, off, a);          \
        }                                       \
        if (k_ > 0) {                           \
            TAP(x, w, dx, dw, off, a);          \
            if (k_ > 1) {                       \
                TAP(x, w, dx, dw, off, a);      \
            }                                   \
        }                                       \
    } while (0)
#define DW_TAP0(x, w, dx, dw, off, a) DW_TAP(x, w, dx, dw, a)

/*
 * `count` windows of one output row, depth multiplier 1, on cores without a vector unit: `rows` x
 * `cols` taps from x (the first window's first tap that lands in the input) and w (its weights),
 * four channels at a time in registers. Windows that see padding skip its rows and columns whole and
 * start from the raw bias, adding the input offset to each input; the others start from the folded
 * bias with offset 0.
 */
static EDGENN_NOINLINE void dw_same_windows(const edgenn_depthwise_conv_2d_params *p, const int8_t *x,
                                            const int8_t *w, int32_t rows, int32_t cols, const int32_t *bias,
                                            int32_t offset, int8_t *out, int32_t count) {
    /* Locals, not p->: every int8 store could alias the params struct and force reloads. */
    const int32_t oc = p->out_c;
    const int32_t tap = p->dilation_w * oc;
    const int32_t xrow = p->dilation_h * p->in_w * oc - cols * tap;
    const int32_t wrow = (p->filter_w - cols) * oc;
    const int32_t step = p->stride_w * oc;
    const int32_t *m = p->multiplier;
    const int8_t *sh = p->shift;
    const int32_t rk = p->rq_k;
    const int32_t lo = p->act_min;
    const int32_t hi = p->act_max;
#if EDGENN_CONV_DSP
    const int32_t off = (int32_t)(((uint32_t)offset & 0xffffu) | ((uint32_t)offset << 16));
#else
    const int32_t off = offset;
#endif
    for (; count > 0; --count, x += step, out += oc) {
        int32_t c;
        for (c = 0; c + 4 <= oc; c += 4) {
            const int8_t *xr = x + c;
            const int8_t *wr = w + c;
            int32_t a[4];
            int32_t r;
            a[0] = bias[c];
            a[1] = bias[c + 1];
            a[2] = bias[c + 2];
            a[3] = bias[c + 3];
            for (r = rows; r > 0; --r, xr += xrow, wr += wrow) {
                if (offset == 0) {
                    DW_ROW(DW_TAP0, cols, xr, wr, tap, oc, off, a);
                } else {
                    DW_ROW(DW_TAP_OFF, cols, xr, wr, tap, oc, off, a);
                }
            }
            if (EDGENN_RQ_ONE(rk)) {
                /* All four before any store: stores through `out` would force the constants' reloads. */
                const int8_t v0 = edgenn_clamp_int8(edgenn_conv_rq(a[0], m[DW_Q(c)], sh[DW_Q(c)], rk), lo, hi);
                const int8_t v1 = edgenn_clamp_int8(edgenn_conv_rq(a[1], m[DW_Q(c + 1)], sh[DW_Q(c + 1)], rk), lo, hi);
                const int8_t v2 = edgenn_clamp_int8(edgenn_conv_rq(a[2], m[DW_Q(c + 2)], sh[DW_Q(c + 2)], rk), lo, hi);
                const int8_t v3 = edgenn_clamp_int8(edgenn_conv_rq(a[3], m[DW_Q(c + 3)], sh[DW_Q(c + 3)], rk), lo, hi);
                out[c] = v0;
                out[c + 1] = v1;
                out[c + 2] = v2;
                out[c + 3] = v3;
            } else {
                const int8_t v0 = dw_output(p, a[0], c);
                const int8_t v1 = dw_output(p, a[1], c + 1);
                const int8_t v2 = dw_output(p, a[2], c + 2);
                const int8_t v3 = dw_output(p, a[3], c + 3);
                out[c] = v0;
                out[c + 1] = v1;
                out[c + 2] = v2;
                out[c + 3] = v3;
            }
        }
        for (; c < oc; ++c) {
            const int8_t *xr = x + c;
            const int8_t *wr = w + c;
            int32_t acc = bias[c];
            int32_t r;
            for (r = rows; r > 0; --r, xr += xrow, wr += wrow) {
                int32_t k;
                for (k = cols; k > 0; --k, xr += tap, wr += oc) {
                    acc += ((int32_t)*xr + offset) * (int32_t)*wr;
                }
            }
            out[c] = dw_output(p, acc, c);
        }
    }
}

EDGENN_CONV_INLINE void dw_window_all(const edgenn_depthwise_conv_2d_params *p, const int8_t *input,
                                      const int8_t *weights, const dw_window *win, int32_t offset, int mode,
                                      int8_t *out) {
    if (EDGENN_CONV_SCALAR || EDGENN_OPTIMIZE_SIZE || mode == DW_GENERAL) {
        dw_channels(p, input, weights, win, offset, out);
    } else {
        dw_blocks(p, input, weights, win, offset, out);
    }
}

EDGENN_CONV_INLINE void dw_run(const edgenn_depthwise_conv_2d_params *p, const int8_t *input, const int8_t *weights,
                               int8_t *output, int mode) {
    int32_t b;
    int32_t oy;
    int32_t ox;
    const int full = p->act_min == -128 && p->act_max == 127;
    /* Built for flash (EDGENN_OPTIMIZE_SIZE), every window takes dw_channels: one loop for all. */
    const int rows = EDGENN_CONV_SCALAR && !EDGENN_OPTIMIZE_SIZE && mode == DW_SAME;
    /* Only where the model's config compiles the variant its activation range takes. */
    const int fast3x3 = EDGENN_CONV_SCALAR && mode == DW_SAME && p->filter_h == 3 && p->filter_w == 3 &&
                        EDGENN_RQ_ONE(p->rq_k) && (full ? EDGENN_USE_DW_3X3_FULL : EDGENN_USE_DW_3X3_ACT);
    const int32_t row_step = p->dilation_h * p->in_w * p->in_c;
    const int32_t tap_step = p->dilation_w * p->in_c;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy = oy * p->stride_h - p->pad_top;
            const int inner_row = oy >= p->inner_y0 && oy < p->inner_y1;
            int8_t *out = output + (b * p->out_h + oy) * p->out_w * p->out_c;
            dw_window win;
            edgenn_conv_taps(iy, p->in_h, p->filter_h, p->dilation_h, &win.ky0, &win.ky1);
            for (ox = 0; ox < p->out_w; ++ox, out += p->out_c) {
                const int32_t ix = ox * p->stride_w - p->pad_left;
                int32_t offset;
                win.first = (iy * p->in_w + ix) * p->in_c;
                if (inner_row && ox >= p->inner_x0 && ox < p->inner_x1) {
                    if (fast3x3) {
                        /* The row's remaining unpadded windows in one call. */
                        const int32_t count = p->inner_x1 - ox;
                        if (EDGENN_USE_DW_3X3_FULL && (full || !EDGENN_USE_DW_3X3_ACT)) {
                            dw_3x3_row_full(p, in_b + win.first, weights, out, count);
                        } else {
                            dw_3x3_row_act(p, in_b + win.first, weights, out, count);
                        }
                        ox += count - 1;
                        out += (count - 1) * p->out_c;
                        continue;
                    }
                    if (rows) {
                        const int32_t count = p->inner_x1 - ox;
                        dw_same_windows(p, in_b + win.first, weights, p->filter_h, p->filter_w, p->bias, 0, out,
                                        count);
                        ox += count - 1;
                        out += (count - 1) * p->out_c;
                        continue;
                    }
                    win.kx0 = 0;
                    win.kx1 = p->filter_w;
                    win.bias = p->bias;
                    offset = 0;
                } else {
                    edgenn_conv_taps(ix, p->in_w, p->filter_w, p->dilation_w, &win.kx0, &win.kx1);
                    win.bias = p->bias_raw;
                    offset = p->input_offset;
                }
                if (rows) {
                    dw_same_windows(p, in_b + win.first + win.ky0 * row_step + win.kx0 * tap_step,
                                    weights + (win.ky0 * p->filter_w + win.kx0) * p->out_c, win.ky1 - win.ky0,
                                    win.kx1 - win.kx0, win.bias, offset, out, 1);
                } else {
                    dw_window_all(p, in_b, weights, &win, offset, mode, out);
                }
            }
        }
    }
}

/* Four taps of one line buffer row (x) into four channels' sums, w their paired weights. */
#if EDGENN_CONV_DSP
#define DW_QUAD(x, w, a0, a1, a2, a3)                                \
    do {                                                             \
        const uint32_t xv_ = edgenn_load4(x);                        \
        const int32_t xe_ = edgenn_even16(xv_);                      \
        const int32_t xo_ = edgenn_odd16(xv_);                       \
        (a0) = __smlad(xo_, (w)[1], __smlad(xe_, (w)[0], (a0)));     \
        (a1) = __smlad(xo_, (w)[3], __smlad(xe_, (w)[2], (a1)));     \
        (a2) = __smlad(xo_, (w)[5], __smlad(xe_, (w)[4], (a2)));     \
        (a3) = __smlad(xo_, (w)[7], __smlad(xe_, (w)[6], (a3)));     \
    } while (0)
#endif

#if EDGENN_CONV_AVX2
/* Taps x[0..3] as int16 in wpack's order (0, 2, 1, 3), in each of the four 64-bit lanes. */
EDGENN_CONV_INLINE __m256i dw_line_taps(const int8_t *x) {
    int32_t v;
    memcpy(&v, x, sizeof v);
    return _mm256_broadcastq_epi64(
        _mm_shufflelo_epi16(_mm_cvtepi8_epi16(_mm_cvtsi32_si128(v)), _MM_SHUFFLE(3, 1, 2, 0)));
}

/*
 * Channels [c, c + 4) of the line-buffer window at x, from the group's wpack words [w, end): one
 * VPMADDWD multiplies four taps by all four channels' weight pairs, each channel's two sums in
 * neighbouring lanes, added at the end.
 */
EDGENN_CONV_INLINE __m128i dw_line_window(const int8_t *x, const int32_t *w, const int32_t *end, int32_t quads,
                                          int32_t pitch, const int32_t *bias) {
    __m256i acc = _mm256_setzero_si256();
    __m256i h;
    do {
        const int32_t *row_end = w + 8 * quads;
        const int8_t *xr = x;
        do {
            const __m256i wv = _mm256_loadu_si256((const __m256i *)(const void *)w);
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(dw_line_taps(xr), wv));
            xr += 4;
            w += 8;
        } while (w != row_end);
        x += pitch;
    } while (w != end);
    h = _mm256_hadd_epi32(acc, acc); /* (c0, c1, c0, c1 | c2, c3, c2, c3) */
    return _mm_add_epi32(_mm_unpacklo_epi64(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1)),
                         _mm_loadu_si128((const __m128i *)(const void *)bias));
}
#endif

/*
 * One input channel feeding every output channel (in_c == 1, p->wpack set). Each output row first
 * copies the filter_h input rows its windows read into a line buffer, the padding filled with the
 * input zero point: a padded tap then adds (zero_point + input_offset) * w = 0, as TFLM's skipped
 * taps do, so every window is one shape and starts from the folded bias. Along a row the taps are
 * consecutive bytes: one word load yields four, SXTB16 pairs them as taps (0, 2) and (1, 3), and
 * SMLAD multiplies each pair with the matching pair of int16 weights export laid out in wpack (AVX2
 * hosts multiply the same pairs with VPMADDWD); cores without either read the int8 weights.
 */
static void dw_line(const edgenn_depthwise_conv_2d_params *p, const int8_t *input, const int8_t *weights,
                    int8_t *output) {
    int8_t lb[EDGENN_DW_LINE_BYTES];
    /* Locals, not p->: every int8 store could alias the params struct and force reloads. */
    const int32_t pitch = EDGENN_DW_LINE_PITCH(p);
    const int32_t quads = (p->filter_w + 3) >> 2;
    const int32_t fh = p->filter_h;
    const int32_t taps = 8 * quads * fh; /* wpack words per group of four channels */
    const int32_t oc = p->out_c;
    const int32_t out_w = p->out_w;
    const int32_t sw = p->stride_w;
    const int32_t *bias = p->bias;
    const int32_t *wpack = p->wpack;
    const int32_t *m = p->multiplier;
    const int8_t *sh = p->shift;
    const int32_t rk = p->rq_k;
    const int32_t lo = p->act_min;
    const int32_t hi = p->act_max;
    const int8_t zp = (int8_t)-p->input_offset;
    int32_t b;
    int32_t oy;
    int32_t ox;
    int32_t r;
#if EDGENN_CONV_DSP
    (void)weights; /* the DSP cores read the paired weights (wpack) */
#endif
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + b * p->in_h * p->in_w;
        for (oy = 0; oy < p->out_h; ++oy) {
            int8_t *out = output + (b * p->out_h + oy) * out_w * oc;
            for (r = 0; r < fh; ++r) {
                const int32_t iy = oy * p->stride_h - p->pad_top + r * p->dilation_h;
                int8_t *dst = lb + r * pitch;
                int32_t left = p->pad_left < pitch ? p->pad_left : pitch;
                int32_t n = 0;
                if (iy >= 0 && iy < p->in_h) {
                    n = p->in_w < pitch - left ? p->in_w : pitch - left;
                    memcpy(dst + left, in_b + iy * p->in_w, (size_t)n);
                } else {
                    left = 0;
                }
                memset(dst, zp, (size_t)left);
                memset(dst + left + n, zp, (size_t)(pitch - left - n));
            }
            for (ox = 0; ox < out_w; ++ox, out += oc) {
                const int32_t *w = wpack;
                int32_t c;
                for (c = 0; c < oc; c += 4) {
                    const int8_t *x = lb + ox * sw;
                    const int32_t *end = w + taps;
                    int32_t a0 = bias[c];
                    int32_t a1 = bias[c + 1];
                    int32_t a2 = bias[c + 2];
                    int32_t a3 = bias[c + 3];
#if EDGENN_CONV_AVX2
                    if (EDGENN_RQ_ONE(rk)) {
                        const uint32_t v = edgenn_avx_bytes4(
                            edgenn_avx_rq4(dw_line_window(x, w, end, quads, pitch, bias + c), edgenn_avx_mult4(m, c),
                                           edgenn_avx_shift4(sh, c), rk, _mm_set1_epi32(lo), _mm_set1_epi32(hi)));
                        memcpy(out + c, &v, sizeof v);
                        w = end;
                        continue;
                    }
#endif
#if !EDGENN_CONV_DSP
                    {
                        /*
                         * Without SMLAD each packed int16 weight costs an extract: the int8 weights
                         * instead, one input load for the four channels' products.
                         */
                        const int8_t *xr = x;
                        const int8_t *wr = weights + c;
                        int32_t r2;
                        int32_t t;
                        for (r2 = 0; r2 < fh; ++r2, xr += pitch) {
                            for (t = 0; t < p->filter_w; ++t, wr += oc) {
                                const int32_t xv = xr[t];
                                a0 += xv * wr[0];
                                a1 += xv * wr[1];
                                a2 += xv * wr[2];
                                a3 += xv * wr[3];
                            }
                        }
                        w = end;
                    }
#else
                    if (quads == 2) {
                        /* One or two tap groups a row (filters up to 8 wide): a single loop, rows a pitch apart. */
                        do {
                            DW_QUAD(x, w, a0, a1, a2, a3);
                            DW_QUAD(x + 4, w + 8, a0, a1, a2, a3);
                            x += pitch;
                            w += 16;
                        } while (w != end);
                    } else if (quads == 1) {
                        do {
                            DW_QUAD(x, w, a0, a1, a2, a3);
                            x += pitch;
                            w += 8;
                        } while (w != end);
                    } else {
                        do {
                            const int32_t *row_end = w + 8 * quads;
                            const int8_t *xr = x;
                            do {
                                DW_QUAD(xr, w, a0, a1, a2, a3);
                                xr += 4;
                                w += 8;
                            } while (w != row_end);
                            x += pitch;
                        } while (w != end);
                    }
#endif
                    if (EDGENN_RQ_ONE(rk)) {
                        /* All four before any store: stores through `out` would force the constants' reloads. */
                        const int8_t v0 = edgenn_clamp_int8(edgenn_conv_rq(a0, m[DW_Q(c)], sh[DW_Q(c)], rk), lo, hi);
                        const int8_t v1 =
                            edgenn_clamp_int8(edgenn_conv_rq(a1, m[DW_Q(c + 1)], sh[DW_Q(c + 1)], rk), lo, hi);
                        const int8_t v2 =
                            edgenn_clamp_int8(edgenn_conv_rq(a2, m[DW_Q(c + 2)], sh[DW_Q(c + 2)], rk), lo, hi);
                        const int8_t v3 =
                            edgenn_clamp_int8(edgenn_conv_rq(a3, m[DW_Q(c + 3)], sh[DW_Q(c + 3)], rk), lo, hi);
                        out[c] = v0;
                        out[c + 1] = v1;
                        out[c + 2] = v2;
                        out[c + 3] = v3;
                    } else {
                        out[c] = dw_output(p, a0, c);
                        out[c + 1] = dw_output(p, a1, c + 1);
                        out[c + 2] = dw_output(p, a2, c + 2);
                        out[c + 3] = dw_output(p, a3, c + 3);
                    }
                }
            }
        }
    }
}

static EDGENN_NOINLINE void dw_same(const edgenn_depthwise_conv_2d_params *p, const int8_t *input,
                                    const int8_t *weights, int8_t *output) {
    dw_run(p, input, weights, output, DW_SAME);
}

static EDGENN_NOINLINE void dw_general(const edgenn_depthwise_conv_2d_params *p, const int8_t *input,
                                       const int8_t *weights, int8_t *output) {
    dw_run(p, input, weights, output, DW_GENERAL);
}

/*
 * `output` may overlap input rows that earlier windows have consumed (the arena planner places some
 * outputs so), hence no `restrict`: every path writes output pixels in ascending row-major order,
 * each only after reading its own window.
 */
void edgenn_depthwise_conv_2d(const edgenn_depthwise_conv_2d_params *p, const int8_t *input, const int8_t *weights,
                              int8_t *output) {
#if EDGENN_MVE
    if (edgenn_depthwise_conv_2d_mve(p, input, weights, output)) {
        return;
    }
#endif
    /* Only the paths config.h compiles: export turns on each one a layer's params select (features()
     * in edgenn/reference/depthwise_conv_2d.py). */
    if (EDGENN_USE_DW_LINE && (p->wpack != NULL || !(EDGENN_USE_DW_SAME || EDGENN_USE_DW_GENERAL))) {
        dw_line(p, input, weights, output);
    } else if (EDGENN_USE_DW_SAME && (p->depth_multiplier == 1 || !EDGENN_USE_DW_GENERAL)) {
        dw_same(p, input, weights, output);
    } else {
        dw_general(p, input, weights, output);
    }
}
