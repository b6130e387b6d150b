/* AVERAGE_POOL_2D, int8, on Helium (mve.h): returns 1 when it computed the layer. */
#ifndef EDGENN_AVERAGE_POOL_2D_MVE_H
#define EDGENN_AVERAGE_POOL_2D_MVE_H

#include "average_pool_2d.h"
#include "conv_common.h"
#include "mve.h"
#include "mve_conv.h"

#if EDGENN_MVE
/*
 * Channels [0, 8) of one window (those `q` selects), summed in int16 lanes: a window of at most
 * 256 taps sums to [-32768, 32512]. The division stays scalar: the mean of the taps inside the
 * input, rounding halves away from zero as TFLM's two truncating divisions do.
 */
EDGENN_MVE_INLINE void avg_pool_mve_block(const edgenn_average_pool_2d_params *p, const int8_t *x, int32_t rows,
                                          int32_t cols, int32_t count, mve_pred16_t q, int full, int8_t *out) {
    const int32_t row_step = p->in_w * p->channels;
    int16_t sums[8];
    int16x8_t acc = vdupq_n_s16(0);
    int32_t r;
    int32_t s;
    int32_t j;
    for (r = 0; r < rows; ++r, x += row_step) {
        const int8_t *xt = x;
        for (s = 0; s < cols; ++s, xt += p->channels) {
            acc = vaddq_s16(acc, full ? vldrbq_s16(xt) : vldrbq_z_s16(xt, q));
        }
    }
    vst1q_s16(sums, acc);
    for (j = 0; j < 8; ++j) {
        const int32_t a = sums[j];
        const int32_t mean = a > 0 ? (a + count / 2) / count : (a - count / 2) / count;
        sums[j] = edgenn_clamp_int8(mean, p->act_min, p->act_max);
    }
    if (full) {
        vstrbq_s16(out, vld1q_s16(sums));
    } else {
        vstrbq_p_s16(out, vld1q_s16(sums), q);
    }
}

static int edgenn_average_pool_2d_mve(const edgenn_average_pool_2d_params *p, const int8_t *input, int8_t *output) {
    const int32_t channels = p->channels;
    int32_t b;
    int32_t oy;
    int32_t ox;
    if (p->filter_h * p->filter_w > 256) {
        return 0;
    }
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
                int32_t count;
                int32_t c = 0;
                edgenn_conv_taps(ix, p->in_w, p->filter_w, 1, &kx0, &kx1);
                x = in_b + ((iy + ky0) * p->in_w + ix + kx0) * channels;
                count = (ky1 - ky0) * (kx1 - kx0);
                for (; c + 8 <= channels; c += 8) {
                    avg_pool_mve_block(p, x + c, ky1 - ky0, kx1 - kx0, count, 0, 1, out + c);
                }
                if (c < channels) {
                    avg_pool_mve_block(p, x + c, ky1 - ky0, kx1 - kx0, count, vctp16q((uint32_t)(channels - c)), 0,
                                       out + c);
                }
            }
        }
    }
    return 1;
}
#endif

#endif /* EDGENN_AVERAGE_POOL_2D_MVE_H */
