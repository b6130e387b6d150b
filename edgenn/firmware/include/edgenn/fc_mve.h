/* FULLY_CONNECTED, int8, on Helium (mve.h): returns 1 when it computed the layer. */
#ifndef EDGENN_FC_MVE_H
#define EDGENN_FC_MVE_H

#include "fully_connected.h"
#include "fc_mve_requantize.h"
#include "mve.h"

#if EDGENN_MVE
#include <arm_mve.h>

/*
 * Output channels c to c + 3 (the lanes `lanes` holds) from their sums: the sums plus the bias,
 * requantized with each channel's constants. The one-multiply form (rq_k != 0) is edgenn_conv_rq
 * on lanes: VQRDMULH of acc and m is SMMLAR's rounded high word of 2 acc m (m >= 0, so it never
 * saturates), acc >> 31 its accumulator, then the two arithmetic shifts around the add of k.
 */
static __inline__ void edgenn_fc_mve_finish(const edgenn_fully_connected_params *p, int32x4_t acc, int32_t c,
                                            mve_pred16_t lanes, int32x4_t lo, int32x4_t hi, int8_t *out) {
    const int32x4_t a = vaddq_s32(acc, vldrwq_z_s32(p->bias + c, lanes));
    /* One value in every lane where config.h has the constants per tensor. */
    const int32x4_t m = EDGENN_USE_PER_CHANNEL ? vldrwq_z_s32(p->multiplier + c, lanes) : vdupq_n_s32(*p->multiplier);
    const int32x4_t s = EDGENN_USE_PER_CHANNEL ? vldrbq_z_s32(p->shift + c, lanes) : vdupq_n_s32(*p->shift);
    int32x4_t r;
    if (p->rq_k != 0) {
        r = vaddq_s32(vqrdmulhq_s32(a, m), vshrq_n_s32(a, 31));
        r = vshrq_n_s32(vaddq_n_s32(vshlq_s32(r, vnegq_s32(s)), p->rq_k), 1);
    } else {
        r = vaddq_n_s32(edgenn_mve_requantize(a, m, s), p->output_offset);
    }
    vstrbq_p_s32(out + c, vminq_s32(vmaxq_s32(r, lo), hi), lanes);
}

/*
 * Four output channels per pass over the input row: each 16-byte input vector is loaded once for
 * four weight rows, and VMLADAVA sums each row's 16 products into its scalar accumulator. A channel
 * count that is not a multiple of four repeats the last row in the spare lanes, which the
 * predicated store leaves out; the depth's remainder is one predicated step.
 */
static int edgenn_fully_connected_mve(const edgenn_fully_connected_params *p, const int8_t *input,
                                      const int8_t *weights, int8_t *output) {
    const int32_t n = p->accum_depth;
    const int32_t od = p->output_depth;
    const int32_t n16 = n & ~15;
    const mve_pred16_t tail = vctp8q((uint32_t)(n - n16));
    const int32x4_t lo = vdupq_n_s32(p->act_min);
    const int32x4_t hi = vdupq_n_s32(p->act_max);
    int32_t b;
    int32_t c;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * n;
        int8_t *out = output + b * od;
        for (c = 0; c < od; c += 4) {
            const int32_t left = od - c;
            const int8_t *w0 = weights + c * n;
            const int8_t *w1 = left > 1 ? w0 + n : w0;
            const int8_t *w2 = left > 2 ? w1 + n : w1;
            const int8_t *w3 = left > 3 ? w2 + n : w2;
            int32_t a0 = 0;
            int32_t a1 = 0;
            int32_t a2 = 0;
            int32_t a3 = 0;
            int32_t d;
            int32x4_t acc;
            for (d = 0; d < n16; d += 16) {
                const int8x16_t xv = vldrbq_s8(x + d);
                a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w0 + d));
                a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w1 + d));
                a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w2 + d));
                a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w3 + d));
            }
            if (n16 < n) {
                const int8x16_t xv = vldrbq_z_s8(x + d, tail);
                a0 = vmladavaq_p_s8(a0, xv, vldrbq_z_s8(w0 + d, tail), tail);
                a1 = vmladavaq_p_s8(a1, xv, vldrbq_z_s8(w1 + d, tail), tail);
                a2 = vmladavaq_p_s8(a2, xv, vldrbq_z_s8(w2 + d, tail), tail);
                a3 = vmladavaq_p_s8(a3, xv, vldrbq_z_s8(w3 + d, tail), tail);
            }
            acc = vsetq_lane_s32(a0, vdupq_n_s32(0), 0);
            acc = vsetq_lane_s32(a1, acc, 1);
            acc = vsetq_lane_s32(a2, acc, 2);
            acc = vsetq_lane_s32(a3, acc, 3);
            edgenn_fc_mve_finish(p, acc, c, vctp32q((uint32_t)left), lo, hi, out);
        }
    }
    return 1;
}
#endif

#endif /* EDGENN_FC_MVE_H */
