/* DEPTHWISE_CONV_2D, int16x8: twin of edgenn/reference/depthwise_conv_2d_i16.py. */
#include "depthwise_conv_2d_i16.h"

#include "int16x8.h"
#include "window_i16.h"

void edgenn_depthwise_conv_2d_i16(const edgenn_depthwise_conv_2d_i16_params *p, const int16_t *input,
                                  const int8_t *weights, int16_t *output) {
    const int32_t pixels = p->batches * p->out_h * p->out_w;
    int32_t pixel;
    int32_t c;
    int32_t ky;
    int32_t kx;
    for (pixel = 0; pixel < pixels; ++pixel) {
        const edgenn_window_i16 w = edgenn_window_i16_at(pixel, p->out_h, p->out_w, p->in_h, p->in_w, p->filter_h,
                                                         p->filter_w, p->stride_h, p->stride_w, p->dilation_h,
                                                         p->dilation_w, p->pad_top, p->pad_left);
        const int16_t *in_b = input + w.batch * p->in_h * p->in_w * p->in_c;
        int16_t *out = output + pixel * p->out_c;
        for (c = 0; c < p->out_c; ++c) {
            const int32_t in_channel = c / p->depth_multiplier;
            int64_t acc = 0;
            for (ky = w.ky0; ky < w.ky1; ++ky) {
                const int32_t row = (w.iy + ky * p->dilation_h) * p->in_w;
                for (kx = w.kx0; kx < w.kx1; ++kx) {
                    const int32_t x = in_b[(row + w.ix + kx * p->dilation_w) * p->in_c + in_channel];
                    acc += x * (int32_t)weights[(ky * p->filter_w + kx) * p->out_c + c];
                }
            }
            if (p->bias != NULL) {
                acc += p->bias[c];
            }
            out[c] = edgenn_clamp_int16(edgenn_requantize64(acc, p->multiplier[c], p->shift[c]), p->act_min,
                                        p->act_max);
        }
    }
}
