/* CONV_2D, int8: twin of edgenn/reference/conv_2d.py. */
#include "conv_2d.h"

#include "conv_common.h"

/* Where run r of a window starts; a single run starts at the window's first value. */
EDGENN_CONV_INLINE int32_t conv_run_at(const edgenn_conv_2d_params *p, int32_t r) {
    return p->runs == 1 ? 0 : p->run_offset[r];
}

EDGENN_CONV_INLINE int8_t conv_out(const edgenn_conv_2d_params *p, int32_t acc, int32_t c) {
    return edgenn_conv_out(acc, c, p->rq_k, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max);
}

/*
 * The same sums out of line, for long runs: inside the kernel's loops a 13-register core spills
 * the multiply-accumulate loop's pointers; alone, it keeps them in registers, which outweighs the
 * call once a run has a few dozen values.
 */
static EDGENN_NOINLINE void conv_dot_2x2(const int8_t *a0, const int8_t *a1, const int8_t *b0, const int8_t *b1,
                                         int32_t n, int32_t *acc) {
    edgenn_dot_s8_2x2(a0, a1, b0, b1, n, acc);
}

EDGENN_CONV_INLINE void conv_dot_pair(const int8_t *a0, const int8_t *a1, const int8_t *b0, const int8_t *b1,
                                      int32_t n, int32_t *acc) {
    if (EDGENN_CONV_SCALAR && n >= 32) {
        conv_dot_2x2(a0, a1, b0, b1, n, acc);
    } else {
        edgenn_dot_s8_2x2(a0, a1, b0, b1, n, acc);
    }
}

/* Two windows that see no padding: every output channel of both, two channels at a time. */
static void conv_inner_pair(const edgenn_conv_2d_params *p, const int8_t *x0, const int8_t *x1,
                            const int8_t *weights, int8_t *out0, int8_t *out1) {
    const int32_t depth = p->filter_h * p->filter_w * p->group_c;
    int32_t g;
    int32_t c;
    int32_t r;
    for (g = 0; g < p->groups; ++g) {
        const int8_t *a0 = x0 + g * p->group_c;
        const int8_t *a1 = x1 + g * p->group_c;
        const int32_t end = (g + 1) * p->group_out;
        for (c = g * p->group_out; c + 1 < end; c += 2) {
            const int8_t *w0 = weights + c * depth;
            const int8_t *w1 = w0 + depth;
            int32_t acc[4];
            acc[0] = p->bias[c];
            acc[1] = p->bias[c + 1];
            acc[2] = acc[0];
            acc[3] = acc[1];
            if (p->runs == 1) {
                /* A single run (pointwise convolutions) starts at offset 0; no loop frees registers. */
                conv_dot_pair(a0, a1, w0, w1, p->run_len, acc);
            } else {
                for (r = 0; r < p->runs; ++r) {
                    const int32_t at = conv_run_at(p, r);
                    const int32_t wat = r * p->run_len;
                    conv_dot_pair(a0 + at, a1 + at, w0 + wat, w1 + wat, p->run_len, acc);
                }
            }
            {
                /* All four before any store: an int8 store may alias the constants and force reloads. */
                const int8_t v00 = conv_out(p, acc[0], c);
                const int8_t v10 = conv_out(p, acc[2], c);
                const int8_t v01 = conv_out(p, acc[1], c + 1);
                const int8_t v11 = conv_out(p, acc[3], c + 1);
                out0[c] = v00;
                out0[c + 1] = v01;
                out1[c] = v10;
                out1[c + 1] = v11;
            }
        }
        if (c < end) {
            const int8_t *w0 = weights + c * depth;
            int32_t acc0 = p->bias[c];
            int32_t acc1 = acc0;
            for (r = 0; r < p->runs; ++r) {
                const int32_t at = conv_run_at(p, r);
                const int32_t wat = r * p->run_len;
                acc0 += edgenn_dot_s8(a0 + at, w0 + wat, p->run_len);
                acc1 += edgenn_dot_s8(a1 + at, w0 + wat, p->run_len);
            }
            out0[c] = conv_out(p, acc0, c);
            out1[c] = conv_out(p, acc1, c);
        }
    }
}

/* One window that sees no padding. */
static void conv_inner_one(const edgenn_conv_2d_params *p, const int8_t *x, const int8_t *weights, int8_t *out) {
    const int32_t depth = p->filter_h * p->filter_w * p->group_c;
    int32_t c;
    int32_t r;
    for (c = 0; c < p->out_c; ++c) {
        const int8_t *a = x + (c / p->group_out) * p->group_c;
        const int8_t *w = weights + c * depth;
        int32_t acc = p->bias[c];
        for (r = 0; r < p->runs; ++r) {
            acc += edgenn_dot_s8(a + conv_run_at(p, r), w + r * p->run_len, p->run_len);
        }
        out[c] = conv_out(p, acc, c);
    }
}

/*
 * Out of line for vector units: inlined into the loops below, compilers no longer vectorize these.
 * Scalar cores keep them inline.
 */
#if EDGENN_CONV_SCALAR
#define conv_dot_offset edgenn_dot_s8_offset
#define conv_dot_offset_1x2 edgenn_dot_s8_offset_1x2
#else
static EDGENN_NOINLINE int32_t conv_dot_offset(const int8_t *a, const int8_t *b, int32_t n, int32_t offset) {
    return edgenn_dot_s8_offset(a, b, n, offset);
}

static EDGENN_NOINLINE void conv_dot_offset_1x2(const int8_t *a, const int8_t *b0, const int8_t *b1, int32_t n,
                                                int32_t offset, int32_t *acc) {
    edgenn_dot_s8_offset_1x2(a, b0, b1, n, offset, acc);
}
#endif

/*
 * A window that overlaps the padding: TFLM adds input_offset tap by tap and skips taps outside the
 * input, so the folded bias does not apply. (iy, ix) is the window's first tap, maybe outside.
 */
static void conv_border(const edgenn_conv_2d_params *p, const int8_t *input, int32_t iy, int32_t ix,
                        const int8_t *weights, int8_t *out) {
    const int32_t depth = p->filter_h * p->filter_w * p->group_c;
    const int32_t offset = p->input_offset;
    /* Without dilation or groups, the taps of one filter row are contiguous in the input. */
    const int merge = p->dilation_w == 1 && p->groups == 1;
    int32_t ky0;
    int32_t ky1;
    int32_t kx0;
    int32_t kx1;
    int32_t c = 0;
    int32_t ky;
    int32_t kx;
    edgenn_conv_taps(iy, p->in_h, p->filter_h, p->dilation_h, &ky0, &ky1);
    edgenn_conv_taps(ix, p->in_w, p->filter_w, p->dilation_w, &kx0, &kx1);
    if (merge) {
        /* Two output channels per pass share each input load. */
        for (; c + 1 < p->out_c; c += 2) {
            const int8_t *w = weights + c * depth;
            int32_t acc[2];
            acc[0] = p->bias_raw[c];
            acc[1] = p->bias_raw[c + 1];
            for (ky = ky0; ky < ky1; ++ky) {
                const int32_t row = ((iy + ky * p->dilation_h) * p->in_w + ix + kx0) * p->in_c;
                const int32_t at = (ky * p->filter_w + kx0) * p->group_c;
                conv_dot_offset_1x2(input + row, w + at, w + depth + at, (kx1 - kx0) * p->in_c, offset, acc);
            }
            out[c] = conv_out(p, acc[0], c);
            out[c + 1] = conv_out(p, acc[1], c + 1);
        }
    }
    for (; c < p->out_c; ++c) {
        const int32_t channel = (c / p->group_out) * p->group_c;
        const int8_t *w = weights + c * depth;
        int32_t acc = p->bias_raw[c];
        for (ky = ky0; ky < ky1; ++ky) {
            /* An index, not a pointer: with ix < 0 the row's start lies before the input. */
            const int32_t row = ((iy + ky * p->dilation_h) * p->in_w + ix) * p->in_c + channel;
            const int8_t *wr = w + ky * p->filter_w * p->group_c;
            if (merge) {
                acc += conv_dot_offset(input + (row + kx0 * p->in_c), wr + kx0 * p->group_c,
                                       (kx1 - kx0) * p->group_c, offset);
            } else {
                for (kx = kx0; kx < kx1; ++kx) {
                    acc += conv_dot_offset(input + (row + kx * p->dilation_w * p->in_c), wr + kx * p->group_c,
                                           p->group_c, offset);
                }
            }
        }
        out[c] = conv_out(p, acc, c);
    }
}

void edgenn_conv_2d(const edgenn_conv_2d_params *p, const int8_t *input, const int8_t *weights,
                    int8_t *restrict output) {
    const int32_t step = p->stride_w * p->in_c;
    int32_t b;
    int32_t oy;
    int32_t ox;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy = oy * p->stride_h - p->pad_top;
            const int inner_row = oy >= p->inner_y0 && oy < p->inner_y1;
            int8_t *out = output + (b * p->out_h + oy) * p->out_w * p->out_c;
            ox = 0;
            while (ox < p->out_w) {
                const int32_t ix = ox * p->stride_w - p->pad_left;
                if (inner_row && ox >= p->inner_x0 && ox < p->inner_x1) {
                    const int8_t *x = in_b + (iy * p->in_w + ix) * p->in_c;
                    if (ox + 1 < p->inner_x1) {
                        conv_inner_pair(p, x, x + step, weights, out, out + p->out_c);
                        out += 2 * p->out_c;
                        ox += 2;
                        continue;
                    }
                    conv_inner_one(p, x, weights, out);
                } else {
                    conv_border(p, in_b, iy, ix, weights, out);
                }
                out += p->out_c;
                ox += 1;
            }
        }
    }
}
