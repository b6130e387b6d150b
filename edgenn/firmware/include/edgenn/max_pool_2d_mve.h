/* MAX_POOL_2D, int8, on Helium (mve.h): returns 1 when it computed the layer. */
#ifndef EDGENN_MAX_POOL_2D_MVE_H
#define EDGENN_MAX_POOL_2D_MVE_H

#include "conv_common.h"
#include "max_pool_2d.h"
#include "mve.h"
#include "mve_conv.h"

#if EDGENN_MVE
/*
 * Channels [0, 16) of one window (those `q` selects: the last block of a row may be partial; its
 * other lanes read and write no memory): the largest tap inside the input, then the clamp.
 */
EDGENN_MVE_INLINE void max_pool_mve_block(const edgenn_max_pool_2d_params *p, const int8_t *x, int32_t rows,
                                          int32_t cols, mve_pred16_t q, int full, int8_t *out) {
    const int32_t row_step = p->in_w * p->channels;
    int8x16_t best = vdupq_n_s8(INT8_MIN);
    int32_t r;
    int32_t s;
    for (r = 0; r < rows; ++r, x += row_step) {
        const int8_t *xt = x;
        for (s = 0; s < cols; ++s, xt += p->channels) {
            best = vmaxq_s8(best, full ? vldrbq_s8(xt) : vldrbq_z_s8(xt, q));
        }
    }
    best = vminq_s8(vmaxq_s8(best, vdupq_n_s8((int8_t)p->act_min)), vdupq_n_s8((int8_t)p->act_max));
    if (full) {
        vstrbq_s8(out, best);
    } else {
        vstrbq_p_s8(out, best, q);
    }
}

static int edgenn_max_pool_2d_mve(const edgenn_max_pool_2d_params *p, const int8_t *input, int8_t *output) {
    const int32_t channels = p->channels;
    int32_t b;
    int32_t oy;
    int32_t ox;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + b * p->in_h * p->in_w * channels;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy = oy * p->stride_h - p->pad_top;
            int32_t ky0;
            int32_t ky1;
            int8_t *out = output + (b * p->out_h + oy) * p->out_w * channels;
            edgenn_conv_taps(iy, p->in_h, p->filter_h, 1, &ky0, &ky1);
            for (ox = 0; ox < p->out_w; ++ox, out += channels) {
                const int32_t ix = ox * p->stride_w - p->pad_left;
                const int8_t *x;
                int32_t kx0;
                int32_t kx1;
                int32_t c = 0;
                edgenn_conv_taps(ix, p->in_w, p->filter_w, 1, &kx0, &kx1);
                x = in_b + ((iy + ky0) * p->in_w + ix + kx0) * channels;
                for (; c + 16 <= channels; c += 16) {
                    max_pool_mve_block(p, x + c, ky1 - ky0, kx1 - kx0, 0, 1, out + c);
                }
                if (c < channels) {
                    max_pool_mve_block(p, x + c, ky1 - ky0, kx1 - kx0, vctp8q((uint32_t)(channels - c)), 0,
                                       out + c);
                }
            }
        }
    }
    return 1;
}
#endif

#endif /* EDGENN_MAX_POOL_2D_MVE_H */
