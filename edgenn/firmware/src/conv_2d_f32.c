/* CONV_2D, float32: twin of edgenn/reference/conv_2d_f32.py. */
#include "conv_2d_f32.h"

void edgenn_conv_2d_f32(const edgenn_window_f32 *p, const float *input, const float *weights, float *output) {
    int32_t b, oy, ox, oc, fy, fx, ic;
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t y0 = oy * p->stride_h - p->pad_top;
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                for (oc = 0; oc < p->out_c; ++oc) {
                    float total = 0.0f;
                    for (fy = 0; fy < p->filter_h; ++fy) {
                        const int32_t y = y0 + fy * p->dilation_h;
                        for (fx = 0; fx < p->filter_w; ++fx) {
                            const int32_t x = x0 + fx * p->dilation_w;
                            const float *in;
                            const float *w;
                            if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) {
                                continue; /* a tap in the padding adds nothing */
                            }
                            in = input + ((b * p->in_h + y) * p->in_w + x) * p->in_c;
                            w = weights + ((oc * p->filter_h + fy) * p->filter_w + fx) * p->in_c;
                            for (ic = 0; ic < p->in_c; ++ic) {
                                total += in[ic] * w[ic];
                            }
                        }
                    }
                    output[((b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] =
                        edgenn_act_f32(total + p->bias[oc], p->act_min, p->act_max);
                }
            }
        }
    }
}
