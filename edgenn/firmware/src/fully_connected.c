/* FULLY_CONNECTED, int8: twin of edgenn/reference/fully_connected.py. */
#include "fully_connected.h"

EDGENN_CONFIG_MARK(fully_connected); /* the kernel paths config.h compiles, for the model's link check */

/* A model whose every layer reads packed weights in its loop (packed.c) compiles none of this. */
#if EDGENN_USE_FC_DENSE
#include "fc_mve.h"

#include "conv_common.h"

#include <string.h>

/*
 * Output channels c to c + count - 1 of one input row from their finished sums: the layer's constants
 * are read once for the run and the choice of requantization is made once.
 */
static void fc_finish(const edgenn_fully_connected_params *p, const int32_t *acc, int32_t c, int32_t count,
                      int8_t *out) {
    const int32_t *m = p->multiplier + EDGENN_QCH(c);
    const int8_t *s = p->shift + EDGENN_QCH(c);
    const int32_t k = p->rq_k;
    const int32_t lo = p->act_min;
    const int32_t hi = p->act_max;
    int32_t i;
    out += c;
    if (EDGENN_RQ_ONE(k)) {
        for (i = 0; i < count; ++i) {
            out[i] = edgenn_clamp_int8(edgenn_conv_rq(acc[i], m[EDGENN_QCH(i)], s[EDGENN_QCH(i)], k), lo, hi);
        }
    } else {
        for (i = 0; i < count; ++i) {
            out[i] = edgenn_conv_output(acc[i], m[EDGENN_QCH(i)], s[EDGENN_QCH(i)], p->output_offset, lo, hi);
        }
    }
}

#if EDGENN_CONV_DSP && !EDGENN_OPTIMIZE_SIZE
/*
 * Four output channels per pass over the input row: each input word is loaded and split into int16
 * pairs once for four rows of weights, and the four sums stay in registers, so four products cost
 * one load, two SXTB16 and two SMLAD per row. Rows 2 and 3 are read at an offset from rows 0 and 1,
 * so the loop needs thirteen registers; gcc spills C loops that tight, hence the assembly.
 */
static EDGENN_NOINLINE void fc_rows4(const edgenn_fully_connected_params *p, const int8_t *x, const int8_t *w,
                                     int8_t *out, int32_t c) {
    const int32_t n = p->accum_depth;
    const int32_t n2 = 2 * n;
    const int8_t *w0 = w;
    const int8_t *w1 = w + n;
    int32_t a0 = p->bias[c];
    int32_t a1 = p->bias[c + 1];
    int32_t a2 = p->bias[c + 2];
    int32_t a3 = p->bias[c + 3];
    int32_t acc[4];
    int32_t k = n >> 2;
    int32_t d;
    if (k > 0) {
        int32_t xe;
        int32_t xo;
        int32_t v;
        int32_t t;
        __asm__("1:\n\t"
                "ldr %[xo], [%[x]], #4\n\t"
                "sxtb16 %[xe], %[xo]\n\t"
                "sxtb16 %[xo], %[xo], ror #8\n\t"
                "ldr %[v], [%[w0], %[n2]]\n\t"
                "sxtb16 %[t], %[v]\n\t"
                "smlad %[a2], %[t], %[xe], %[a2]\n\t"
                "sxtb16 %[v], %[v], ror #8\n\t"
                "smlad %[a2], %[v], %[xo], %[a2]\n\t"
                "ldr %[v], [%[w0]], #4\n\t"
                "sxtb16 %[t], %[v]\n\t"
                "smlad %[a0], %[t], %[xe], %[a0]\n\t"
                "sxtb16 %[v], %[v], ror #8\n\t"
                "smlad %[a0], %[v], %[xo], %[a0]\n\t"
                "ldr %[v], [%[w1], %[n2]]\n\t"
                "sxtb16 %[t], %[v]\n\t"
                "smlad %[a3], %[t], %[xe], %[a3]\n\t"
                "sxtb16 %[v], %[v], ror #8\n\t"
                "smlad %[a3], %[v], %[xo], %[a3]\n\t"
                "ldr %[v], [%[w1]], #4\n\t"
                "sxtb16 %[t], %[v]\n\t"
                "smlad %[a1], %[t], %[xe], %[a1]\n\t"
                "sxtb16 %[v], %[v], ror #8\n\t"
                "smlad %[a1], %[v], %[xo], %[a1]\n\t"
                "subs %[k], %[k], #1\n\t"
                "bne 1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w0] "+r"(w0),
                  [w1] "+r"(w1), [k] "+r"(k), [xe] "=&r"(xe), [xo] "=&r"(xo), [v] "=&r"(v), [t] "=&r"(t)
                : [n2] "r"(n2)
                : "cc", "memory");
    }
    for (d = 0; d < (n & 3); ++d) {
        const int32_t xd = x[d];
        a0 += xd * w0[d];
        a1 += xd * w1[d];
        a2 += xd * w0[n2 + d];
        a3 += xd * w1[n2 + d];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    fc_finish(p, acc, c, 4, out);
}
#endif

void edgenn_fully_connected(const edgenn_fully_connected_params *p, const int8_t *input, const int8_t *weights,
                            int8_t *output) {
    const int32_t n = p->accum_depth;
    int32_t b;
    int32_t c;
#if EDGENN_MVE
    if (edgenn_fully_connected_mve(p, input, weights, output)) {
        return;
    }
#endif
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * n;
        int8_t *out = output + b * p->output_depth;
        c = 0;
        /* Built for flash (EDGENN_OPTIMIZE_SIZE): one row at a time, the loop below. */
#if EDGENN_CONV_DSP && !EDGENN_OPTIMIZE_SIZE
        for (; c + 4 <= p->output_depth; c += 4) {
            fc_rows4(p, x, weights + c * n, out, c);
        }
#elif EDGENN_CONV_SSE2 && !EDGENN_OPTIMIZE_SIZE
#if EDGENN_CONV_AVX2
        /* Four rows, two per pass over the input, requantized together. */
        if (EDGENN_RQ_ONE(p->rq_k)) {
            for (; c + 4 <= p->output_depth; c += 4) {
                const int8_t *w = weights + c * n;
                int32_t acc[4];
                uint32_t v;
                memcpy(acc, p->bias + c, sizeof acc);
                edgenn_sse_dot(x, x, w, w + n, n, 0, 1, 2, acc);
                edgenn_sse_dot(x, x, w + 2 * n, w + 3 * n, n, 0, 1, 2, acc + 2);
                v = edgenn_avx_bytes4(edgenn_avx_rq4(_mm_loadu_si128((const __m128i *)(const void *)acc),
                                                     edgenn_avx_mult4(p->multiplier, c),
                                                     edgenn_avx_shift4(p->shift, c), p->rq_k,
                                                     _mm_set1_epi32(p->act_min), _mm_set1_epi32(p->act_max)));
                memcpy(out + c, &v, sizeof v);
            }
        }
#endif
        /* Two rows per pass over the input: each input vector is loaded and widened once for both. */
        for (; c + 2 <= p->output_depth; c += 2) {
            const int8_t *w = weights + c * n;
            int32_t acc[2];
            acc[0] = p->bias[c];
            acc[1] = p->bias[c + 1];
            edgenn_sse_dot(x, x, w, w + n, n, 0, 1, 2, acc);
            fc_finish(p, acc, c, 2, out);
        }
#endif
        for (; c < p->output_depth; ++c) {
            const int32_t acc = p->bias[c] + edgenn_dot_s8(x, weights + c * n, n);
            fc_finish(p, &acc, c, 1, out);
        }
    }
}
#endif /* EDGENN_USE_FC_DENSE */
