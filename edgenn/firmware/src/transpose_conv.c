/* TRANSPOSE_CONV, int8: twin of edgenn/reference/transpose_conv.py. */
#include "transpose_conv.h"

#include "conv_common.h"

EDGENN_CONFIG_MARK(transpose_conv); /* the kernel paths config.h compiles, for the model's link check */

/*
 * The filter taps along one axis that reach output position `at` (already shifted by the padding):
 * tap k comes from input position (at - k) / stride where that divides exactly and lies in
 * [0, size). Taps [*first, *end) in steps of stride; *first >= *end when none does.
 */
static void tconv_taps(int32_t at, int32_t size, int32_t filter, int32_t stride, int32_t *first, int32_t *end) {
    /* at - k >= 0 keeps k <= at; (at - k) / stride < size keeps k > at - size * stride. */
    const int32_t lowest = at - size * stride + 1;
    int32_t k = at % stride;
    if (k < lowest) {
        k += (lowest - k + stride - 1) / stride * stride;
    }
    *first = k;
    *end = at + 1 < filter ? at + 1 : filter;
}

void edgenn_transpose_conv(const edgenn_transpose_conv_params *p, const int8_t *input, const int8_t *weights,
                           int8_t *restrict output) {
    const int32_t tap = p->in_c;
    int32_t b;
    int32_t oy;
    int32_t ox;
    int32_t c;
    int32_t ky;
    int32_t kx;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y = oy + p->pad_top;
            int32_t ky0;
            int32_t ky1;
            tconv_taps(y, p->in_h, p->filter_h, p->stride_h, &ky0, &ky1);
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x = ox + p->pad_left;
                int32_t kx0;
                int32_t kx1;
                tconv_taps(x, p->in_w, p->filter_w, p->stride_w, &kx0, &kx1);
                for (c = 0; c < p->out_c; ++c) {
                    const int8_t *w_c = weights + c * p->filter_h * p->filter_w * tap;
                    int32_t acc = p->bias[c];
                    for (ky = ky0; ky < ky1; ky += p->stride_h) {
                        const int8_t *row = in_b + (y - ky) / p->stride_h * p->in_w * tap;
                        const int8_t *w_row = w_c + ky * p->filter_w * tap;
                        for (kx = kx0; kx < kx1; kx += p->stride_w) {
                            acc += edgenn_dot_s8_offset(row + (x - kx) / p->stride_w * tap, w_row + kx * tap, tap,
                                                        p->input_offset);
                        }
                    }
                    *output++ = edgenn_conv_out(acc, c, p->rq_k, p->multiplier, p->shift, p->output_offset,
                                                p->act_min, p->act_max);
                }
            }
        }
    }
}
