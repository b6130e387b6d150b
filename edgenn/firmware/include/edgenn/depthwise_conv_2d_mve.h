/* DEPTHWISE_CONV_2D, int8, on Helium (mve.h): returns 1 when it computed the layer. */
#ifndef EDGENN_DEPTHWISE_CONV_2D_MVE_H
#define EDGENN_DEPTHWISE_CONV_2D_MVE_H

#include "conv_common.h"
#include "depthwise_conv_2d.h"
#include "mve.h"
#include "mve_conv.h"

#if EDGENN_MVE
/*
 * Channels run along the vectors: 8 input and 8 weight values load widened to int16 lanes, and
 * VMULLB / VMULLT multiply their even and odd lanes into int32 lanes, exactly. The accumulators
 * thus hold channels (0, 2, 4, 6) and (1, 3, 5, 7) of each 8; VST2 stores them interleaved, back
 * in channel order, for edgenn_mve_outputs.
 */
typedef struct {
    const int8_t *x;    /* the window's first tap inside the input, at the first channel */
    const int8_t *w;    /* that tap's weights */
    int32_t rows;       /* taps inside the input, per axis */
    int32_t cols;
    const int32_t *bias;
} dw_mve_window;

/* Output channels per pass: their sums wait on the stack for one vectorized requantization. */
#define EDGENN_MVE_DW_CHUNK 64

/*
 * acc[j] = the window's sum for channel c + j, j in [0, n), without the bias; `offset` is added to
 * each input value (0 for windows that see no padding, which take the folded bias: the callers
 * pass a constant and the add vanishes). acc has room for n rounded up to 8.
 */
EDGENN_MVE_INLINE void dw_mve_sums(const edgenn_depthwise_conv_2d_params *p, const dw_mve_window *win,
                                   int32_t offset, int32_t c, int32_t n, int32_t *acc) {
    const int32_t channels = p->out_c;
    const int32_t row_step = p->dilation_h * p->in_w * channels;
    const int32_t tap_step = p->dilation_w * channels;
    const int32_t w_row = p->filter_w * channels;
    const int16_t off = (int16_t)offset;
    const int32_t rows = win->rows;
    const int32_t cols = win->cols;
    int32_t j = 0;
    int32_t r;
    int32_t s;
    for (; j + 16 <= n; j += 16) {
        int32x4x2_t lo;
        int32x4x2_t hi;
        const int8_t *xr = win->x + c + j;
        const int8_t *wr = win->w + c + j;
        lo.val[0] = vdupq_n_s32(0);
        lo.val[1] = lo.val[0];
        hi.val[0] = lo.val[0];
        hi.val[1] = lo.val[0];
        for (r = 0; r < rows; ++r, xr += row_step, wr += w_row) {
            const int8_t *xt = xr;
            const int8_t *wt = wr;
            for (s = 0; s < cols; ++s, xt += tap_step, wt += channels) {
                /*
                 * One half at a time: four accumulators and three temporaries fit the 8 vector
                 * registers. The empty asm keeps gcc's scheduler from hoisting the second half's
                 * loads, which would spill an accumulator.
                 */
                int16x8_t x = vldrbq_s16(xt);
                int16x8_t w = vldrbq_s16(wt);
                if (offset != 0) {
                    x = vaddq_n_s16(x, off);
                }
                lo.val[0] = vaddq_s32(lo.val[0], vmullbq_int_s16(x, w));
                lo.val[1] = vaddq_s32(lo.val[1], vmulltq_int_s16(x, w));
                __asm__ volatile("" ::: "memory");
                x = vldrbq_s16(xt + 8);
                w = vldrbq_s16(wt + 8);
                if (offset != 0) {
                    x = vaddq_n_s16(x, off);
                }
                hi.val[0] = vaddq_s32(hi.val[0], vmullbq_int_s16(x, w));
                hi.val[1] = vaddq_s32(hi.val[1], vmulltq_int_s16(x, w));
            }
        }
        vst2q_s32(acc + j, lo);
        vst2q_s32(acc + j + 8, hi);
    }
    /* The last channels, 8 at a time, predicated: inactive lanes read no memory and sum 0. */
    for (; j < n; j += 8) {
        const mve_pred16_t q = vctp16q((uint32_t)(n - j));
        int32x4x2_t v;
        const int8_t *xr = win->x + c + j;
        const int8_t *wr = win->w + c + j;
        v.val[0] = vdupq_n_s32(0);
        v.val[1] = v.val[0];
        for (r = 0; r < rows; ++r, xr += row_step, wr += w_row) {
            const int8_t *xt = xr;
            const int8_t *wt = wr;
            for (s = 0; s < cols; ++s, xt += tap_step, wt += channels) {
                const int16x8_t x = vaddq_n_s16(vldrbq_z_s16(xt, q), off);
                const int16x8_t w = vldrbq_z_s16(wt, q);
                v.val[0] = vaddq_s32(v.val[0], vmullbq_int_s16(x, w));
                v.val[1] = vaddq_s32(v.val[1], vmulltq_int_s16(x, w));
            }
        }
        vst2q_s32(acc + j, v);
    }
}

/* One window, every channel. */
EDGENN_MVE_INLINE void dw_mve_pixel(const edgenn_depthwise_conv_2d_params *p, const dw_mve_window *win,
                                    int32_t offset, int8_t *out) {
    int32_t acc[EDGENN_MVE_DW_CHUNK];
    int32_t c;
    for (c = 0; c < p->out_c; c += EDGENN_MVE_DW_CHUNK) {
        const int32_t n = p->out_c - c < EDGENN_MVE_DW_CHUNK ? p->out_c - c : EDGENN_MVE_DW_CHUNK;
        dw_mve_sums(p, win, offset, c, n, acc);
        edgenn_mve_outputs(acc, win->bias + c, p->multiplier + EDGENN_QCH(c), p->shift + EDGENN_QCH(c), n, p->rq_k,
                           p->output_offset, p->act_min, p->act_max, out + c);
    }
}

static EDGENN_NOINLINE void dw_mve_inner(const edgenn_depthwise_conv_2d_params *p, const dw_mve_window *win,
                                         int8_t *out) {
    dw_mve_pixel(p, win, 0, out);
}

static EDGENN_NOINLINE void dw_mve_border(const edgenn_depthwise_conv_2d_params *p, const dw_mve_window *win,
                                          int8_t *out) {
    dw_mve_pixel(p, win, p->input_offset, out);
}

static int edgenn_depthwise_conv_2d_mve(const edgenn_depthwise_conv_2d_params *p, const int8_t *input,
                                        const int8_t *weights, int8_t *output) {
    const int32_t channels = p->out_c;
    int32_t b;
    int32_t oy;
    int32_t ox;
    if (p->depth_multiplier != 1) {
        return 0;
    }
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + b * p->in_h * p->in_w * channels;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy = oy * p->stride_h - p->pad_top;
            const int inner_row = oy >= p->inner_y0 && oy < p->inner_y1;
            int32_t ky0;
            int32_t ky1;
            int8_t *out = output + (b * p->out_h + oy) * p->out_w * channels;
            edgenn_conv_taps(iy, p->in_h, p->filter_h, p->dilation_h, &ky0, &ky1);
            for (ox = 0; ox < p->out_w; ++ox, out += channels) {
                const int32_t ix = ox * p->stride_w - p->pad_left;
                dw_mve_window win;
                if (inner_row && ox >= p->inner_x0 && ox < p->inner_x1) {
                    win.x = in_b + (iy * p->in_w + ix) * channels;
                    win.w = weights;
                    win.rows = p->filter_h;
                    win.cols = p->filter_w;
                    win.bias = p->bias;
                    dw_mve_inner(p, &win, out);
                } else {
                    int32_t kx0;
                    int32_t kx1;
                    edgenn_conv_taps(ix, p->in_w, p->filter_w, p->dilation_w, &kx0, &kx1);
                    /* An index first: with ix < 0 the row's start lies before the input. */
                    win.x = in_b + ((iy + ky0 * p->dilation_h) * p->in_w + ix + kx0 * p->dilation_w) * channels;
                    win.w = weights + (ky0 * p->filter_w + kx0) * channels;
                    win.rows = ky1 - ky0;
                    win.cols = kx1 - kx0;
                    win.bias = p->bias_raw;
                    dw_mve_border(p, &win, out);
                }
            }
        }
    }
    return 1;
}
#endif

#endif /* EDGENN_DEPTHWISE_CONV_2D_MVE_H */
