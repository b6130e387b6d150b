/* MAX_POOL_2D, int16x8: twin of edgenn/reference/max_pool_2d_i16.py. */
#include "max_pool_2d_i16.h"

#include "int16x8.h"
#include "window_i16.h"

void edgenn_max_pool_2d_i16(const edgenn_max_pool_2d_params *p, const int16_t *input, int16_t *output) {
    const int32_t pixels = p->batches * p->out_h * p->out_w;
    int32_t pixel;
    int32_t c;
    int32_t ky;
    int32_t kx;
    for (pixel = 0; pixel < pixels; ++pixel) {
        const edgenn_window_i16 w = edgenn_window_i16_at(pixel, p->out_h, p->out_w, p->in_h, p->in_w, p->filter_h,
                                                         p->filter_w, p->stride_h, p->stride_w, 1, 1, p->pad_top,
                                                         p->pad_left);
        const int16_t *in_b = input + w.batch * p->in_h * p->in_w * p->channels;
        int16_t *out = output + pixel * p->channels;
        for (c = 0; c < p->channels; ++c) {
            int16_t best = INT16_MIN;
            for (ky = w.ky0; ky < w.ky1; ++ky) {
                for (kx = w.kx0; kx < w.kx1; ++kx) {
                    const int16_t v = in_b[((w.iy + ky) * p->in_w + w.ix + kx) * p->channels + c];
                    best = v > best ? v : best;
                }
            }
            out[c] = edgenn_clamp_int16(best, p->act_min, p->act_max);
        }
    }
}
