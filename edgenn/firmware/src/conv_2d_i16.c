/* CONV_2D, int16x8: twin of edgenn/reference/conv_2d_i16.py. */
#include "conv_2d_i16.h"

#include "int16x8.h"
#include "window_i16.h"

/* One output pixel, every channel: taps [ky0, ky1) x [kx0, kx1) lie inside the input. */
static void conv_pixel(const edgenn_conv_2d_i16_params *p, const int16_t *in_b, const edgenn_window_i16 *win,
                       const int8_t *weights, int16_t *out) {
    const int32_t depth = p->filter_h * p->filter_w * p->group_c;
    const int32_t iy = win->iy;
    const int32_t ix = win->ix;
    int32_t c;
    for (c = 0; c < p->out_c; ++c) {
        const int32_t channel = (c / p->group_out) * p->group_c;
        const int8_t *w = weights + c * depth;
        int64_t acc = 0;
        int32_t ky;
        int32_t kx;
        int32_t i;
        for (ky = win->ky0; ky < win->ky1; ++ky) {
            for (kx = win->kx0; kx < win->kx1; ++kx) {
                const int16_t *x =
                    in_b + ((iy + ky * p->dilation_h) * p->in_w + ix + kx * p->dilation_w) * p->in_c + channel;
                const int8_t *wt = w + (ky * p->filter_w + kx) * p->group_c;
                for (i = 0; i < p->group_c; ++i) {
                    acc += (int32_t)x[i] * (int32_t)wt[i];
                }
            }
        }
        if (p->bias != NULL) {
            acc += p->bias[c];
        }
        out[c] = edgenn_clamp_int16(edgenn_requantize64(acc, p->multiplier[c], p->shift[c]), p->act_min, p->act_max);
    }
}

void edgenn_conv_2d_i16(const edgenn_conv_2d_i16_params *p, const int16_t *input, const int8_t *weights,
                        int16_t *output) {
    const int32_t pixels = p->batches * p->out_h * p->out_w;
    int32_t pixel;
    for (pixel = 0; pixel < pixels; ++pixel) {
        const edgenn_window_i16 w = edgenn_window_i16_at(pixel, p->out_h, p->out_w, p->in_h, p->in_w, p->filter_h,
                                                         p->filter_w, p->stride_h, p->stride_w, p->dilation_h,
                                                         p->dilation_w, p->pad_top, p->pad_left);
        conv_pixel(p, input + w.batch * p->in_h * p->in_w * p->in_c, &w, weights, output + pixel * p->out_c);
    }
}
