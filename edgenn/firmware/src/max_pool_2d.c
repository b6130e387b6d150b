/* MAX_POOL_2D, int8: twin of edgenn/reference/max_pool_2d.py. */
#include "max_pool_2d.h"
#include "max_pool_2d_mve.h"

#include "conv_common.h"

/* Channels [0, width) of one window: the largest tap inside the input, then the activation clamp. */
EDGENN_CONV_INLINE void max_block(const edgenn_max_pool_2d_params *p, const int8_t *x, int32_t rows, int32_t cols,
                                  int32_t width, int8_t *out) {
    int8_t best[EDGENN_CONV_BLOCK];
    int32_t r;
    int32_t s;
    int32_t j;
    for (j = 0; j < width; ++j) {
        best[j] = INT8_MIN;
    }
    for (r = 0; r < rows; ++r) {
        const int8_t *xr = x + r * p->in_w * p->channels;
        for (s = 0; s < cols; ++s) {
            const int8_t *xt = xr + s * p->channels;
            for (j = 0; j < width; ++j) {
                best[j] = xt[j] > best[j] ? xt[j] : best[j];
            }
        }
    }
    for (j = 0; j < width; ++j) {
        out[j] = edgenn_clamp_int8(best[j], p->act_min, p->act_max);
    }
}

void edgenn_max_pool_2d(const edgenn_max_pool_2d_params *p, const int8_t *input, int8_t *output) {
#if EDGENN_MVE
    if (edgenn_max_pool_2d_mve(p, input, output)) {
        return;
    }
#endif
    int32_t b;
    int32_t oy;
    int32_t ox;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + b * p->in_h * p->in_w * p->channels;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy = oy * p->stride_h - p->pad_top;
            int32_t ky0;
            int32_t ky1;
            int8_t *out = output + (b * p->out_h + oy) * p->out_w * p->channels;
            edgenn_conv_taps(iy, p->in_h, p->filter_h, 1, &ky0, &ky1);
            for (ox = 0; ox < p->out_w; ++ox, out += p->channels) {
                const int32_t ix = ox * p->stride_w - p->pad_left;
                const int8_t *x;
                int32_t kx0;
                int32_t kx1;
                int32_t c;
                edgenn_conv_taps(ix, p->in_w, p->filter_w, 1, &kx0, &kx1);
                x = in_b + ((iy + ky0) * p->in_w + ix + kx0) * p->channels;
#if EDGENN_OPTIMIZE_SIZE /* built for flash: one channel a call, the least code */
                for (c = 0; c < p->channels; ++c) {
                    max_block(p, x + c, ky1 - ky0, kx1 - kx0, 1, out + c);
                }
#else
#define MAX_BLOCK(c, width) max_block(p, x + (c), ky1 - ky0, kx1 - kx0, (width), out + (c))
                EDGENN_BLOCKS(c, p->channels, 0, MAX_BLOCK);
#undef MAX_BLOCK
#endif
            }
        }
    }
}
