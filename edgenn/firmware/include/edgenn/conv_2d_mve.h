/* CONV_2D, int8, on Helium (mve.h): returns 1 when it computed the layer. */
#ifndef EDGENN_CONV_2D_MVE_H
#define EDGENN_CONV_2D_MVE_H

#include "conv_2d.h"
#include "conv_common.h"
#include "mve.h"
#include "mve_conv.h"

#if EDGENN_MVE
/* Bytes of the stack copy of one window, for windows that are not one contiguous run. */
#ifndef EDGENN_MVE_CONV_PATCH
#define EDGENN_MVE_CONV_PATCH 1024
#endif

/* Output channels per pass: their sums wait on the stack for one vectorized requantization. */
#define EDGENN_MVE_CONV_CHUNK 64

/*
 * acc[j] += sum of x[i] * w[j * depth + i] for i in [0, 16 (K - 1) + rest), j in [0, n), rest in
 * [1, 16]: the input's K vectors stay in registers while the channels' weights stream past them,
 * one pointer walking the rows; VMLADAVA multiplies and sums 16 pairs. The last input vector's
 * lanes past `rest` are 0, so that weight vector may run into the next row harmlessly; only the
 * last row's, which may end the array, is loaded predicated.
 */
EDGENN_MVE_INLINE void conv_mve_pass(const int8_t *x, const int8_t *w, int32_t depth, int32_t n, int32_t rest,
                                     int32_t *acc, const int K) {
    const mve_pred16_t q = vctp8q((uint32_t)rest);
    const int8x16_t x0 = K == 1 ? vldrbq_z_s8(x, q) : vldrbq_s8(x);
    const int8x16_t x1 = K == 2 ? vldrbq_z_s8(x + 16, q) : K > 2 ? vldrbq_s8(x + 16) : x0;
    const int8x16_t x2 = K == 3 ? vldrbq_z_s8(x + 32, q) : K > 3 ? vldrbq_s8(x + 32) : x0;
    const int8x16_t x3 = K == 4 ? vldrbq_z_s8(x + 48, q) : x0;
    int32_t *end = acc + n - 1;
    int32_t a;
    for (; acc < end; ++acc, w += depth) {
        a = vmladavaq_s8(*acc, x0, vldrbq_s8(w));
        if (K > 1) {
            a = vmladavaq_s8(a, x1, vldrbq_s8(w + 16));
        }
        if (K > 2) {
            a = vmladavaq_s8(a, x2, vldrbq_s8(w + 32));
        }
        if (K > 3) {
            a = vmladavaq_s8(a, x3, vldrbq_s8(w + 48));
        }
        *acc = a;
    }
    a = *acc;
    a = vmladavaq_s8(a, x0, K == 1 ? vldrbq_z_s8(w, q) : vldrbq_s8(w));
    if (K > 1) {
        a = vmladavaq_s8(a, x1, K == 2 ? vldrbq_z_s8(w + 16, q) : vldrbq_s8(w + 16));
    }
    if (K > 2) {
        a = vmladavaq_s8(a, x2, K == 3 ? vldrbq_z_s8(w + 32, q) : vldrbq_s8(w + 32));
    }
    if (K > 3) {
        a = vmladavaq_s8(a, x3, vldrbq_z_s8(w + 48, q));
    }
    *acc = a;
}

/*
 * conv_mve_dots for deep windows, where streaming the input past four channels at a time beats
 * reloading the sums every 64 values: four channels per pass sharing each input load, then one
 * at a time.
 */
static EDGENN_NOINLINE void conv_mve_dots4(const int8_t *x, const int8_t *weights, int32_t depth, int32_t n,
                                          int32_t *acc) {
    const int32_t blocks = depth >> 4;
    const int32_t rest = depth & 15;
    const int8_t *w = weights;
    int32_t c;
    for (c = 0; c + 4 <= n; c += 4, w += 4 * depth) {
        const int8_t *w0 = w;
        const int8_t *w1 = w0 + depth;
        const int8_t *w2 = w1 + depth;
        const int8_t *w3 = w2 + depth;
        const int8_t *xp = x;
        int32_t a0 = 0;
        int32_t a1 = 0;
        int32_t a2 = 0;
        int32_t a3 = 0;
        int32_t k;
        for (k = blocks; k > 0; --k) {
            const int8x16_t v = vldrbq_s8(xp);
            a0 = vmladavaq_s8(a0, v, vldrbq_s8(w0));
            a1 = vmladavaq_s8(a1, v, vldrbq_s8(w1));
            a2 = vmladavaq_s8(a2, v, vldrbq_s8(w2));
            a3 = vmladavaq_s8(a3, v, vldrbq_s8(w3));
            xp += 16;
            w0 += 16;
            w1 += 16;
            w2 += 16;
            w3 += 16;
        }
        if (rest != 0) {
            /* Inactive lanes load 0 and read no memory. */
            const mve_pred16_t q = vctp8q((uint32_t)rest);
            const int8x16_t v = vldrbq_z_s8(xp, q);
            a0 = vmladavaq_s8(a0, v, vldrbq_z_s8(w0, q));
            a1 = vmladavaq_s8(a1, v, vldrbq_z_s8(w1, q));
            a2 = vmladavaq_s8(a2, v, vldrbq_z_s8(w2, q));
            a3 = vmladavaq_s8(a3, v, vldrbq_z_s8(w3, q));
        }
        acc[c] = a0;
        acc[c + 1] = a1;
        acc[c + 2] = a2;
        acc[c + 3] = a3;
    }
    for (; c < n; ++c, w += depth) {
        const int8_t *xp = x;
        const int8_t *w0 = w;
        int32_t a0 = 0;
        int32_t k;
        for (k = depth; k > 0; k -= 16) {
            const mve_pred16_t q = vctp8q((uint32_t)k);
            a0 = vmladavaq_s8(a0, vldrbq_z_s8(xp, q), vldrbq_z_s8(w0, q));
            xp += 16;
            w0 += 16;
        }
        acc[c] = a0;
    }
}

/* acc[j] = sum of x[0, depth) * weights[j][0, depth) for j in [0, n), up to 64 values per pass. */
static EDGENN_NOINLINE void conv_mve_dots(const int8_t *x, const int8_t *weights, int32_t depth, int32_t n,
                                          int32_t *acc) {
    int32_t d;
    int32_t j;
    for (j = 0; j < n; j += 4) {
        vst1q_s32(acc + j, vdupq_n_s32(0));
    }
    for (d = 0; d < depth; d += 64) {
        const int32_t left = depth - d;
        const int32_t rest = ((left - 1) & 15) + 1; /* values in the pass's last vector, 1 to 16 */
        if (left > 48) {
            conv_mve_pass(x + d, weights + d, depth, n, left > 64 ? 16 : rest, acc, 4);
        } else if (left > 32) {
            conv_mve_pass(x + d, weights + d, depth, n, rest, acc, 3);
        } else if (left > 16) {
            conv_mve_pass(x + d, weights + d, depth, n, rest, acc, 2);
        } else {
            conv_mve_pass(x + d, weights + d, depth, n, rest, acc, 1);
        }
    }
}

/*
 * Every output channel of one window, `x` its `depth` values in weight order. The folded bias
 * applies to every window: padded taps hold the input zero point, whose offset value is 0.
 */
static void conv_mve_window(const edgenn_conv_2d_params *p, const int8_t *x, const int8_t *weights, int32_t depth,
                            int8_t *out) {
    int32_t acc[EDGENN_MVE_CONV_CHUNK];
    int32_t c;
    for (c = 0; c < p->group_out; c += EDGENN_MVE_CONV_CHUNK) {
        const int32_t n = p->group_out - c < EDGENN_MVE_CONV_CHUNK ? p->group_out - c : EDGENN_MVE_CONV_CHUNK;
        if (depth > 128) {
            conv_mve_dots4(x, weights + c * depth, depth, n, acc);
        } else {
            conv_mve_dots(x, weights + c * depth, depth, n, acc);
        }
        edgenn_mve_outputs(acc, p->bias + c, p->multiplier + EDGENN_QCH(c), p->shift + EDGENN_QCH(c), n, p->rq_k,
                           p->output_offset, p->act_min, p->act_max, out + c);
    }
}

static int edgenn_conv_2d_mve(const edgenn_conv_2d_params *p, const int8_t *input, const int8_t *weights, int8_t *output) {
    const int32_t depth = p->filter_h * p->filter_w * p->in_c;
    const int32_t row_len = p->filter_w * p->in_c;
    /* Windows read in place: one run, seeing no padding. */
    const int in_place = p->runs == 1 && p->inner_y0 == 0 && p->inner_y1 == p->out_h && p->inner_x0 == 0 &&
                         p->inner_x1 == p->out_w;
    int8_t patch[EDGENN_MVE_CONV_PATCH];
    int32_t b;
    int32_t oy;
    int32_t ox;
    if (p->groups != 1 || p->dilation_h != 1 || p->dilation_w != 1 || (!in_place && depth > EDGENN_MVE_CONV_PATCH)) {
        return 0;
    }
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy = oy * p->stride_h - p->pad_top;
            const int inner_row = oy >= p->inner_y0 && oy < p->inner_y1;
            int8_t *out = output + (b * p->out_h + oy) * p->out_w * p->out_c;
            for (ox = 0; ox < p->out_w; ++ox, out += p->out_c) {
                const int32_t ix = ox * p->stride_w - p->pad_left;
                const int8_t *x;
                if (inner_row && ox >= p->inner_x0 && ox < p->inner_x1) {
                    x = in_b + (iy * p->in_w + ix) * p->in_c;
                    if (p->runs != 1) {
                        int32_t r;
                        for (r = 0; r < p->runs; ++r) {
                            edgenn_mve_copy(patch + r * p->run_len, x + p->run_offset[r], p->run_len);
                        }
                        x = patch;
                    }
                } else {
                    /* Taps outside the input read the zero point, -input_offset. */
                    int32_t ky0;
                    int32_t ky1;
                    int32_t kx0;
                    int32_t kx1;
                    int32_t ky;
                    edgenn_conv_taps(iy, p->in_h, p->filter_h, 1, &ky0, &ky1);
                    edgenn_conv_taps(ix, p->in_w, p->filter_w, 1, &kx0, &kx1);
                    edgenn_mve_fill(patch, (int8_t)(-p->input_offset), depth);
                    for (ky = ky0; ky < ky1; ++ky) {
                        edgenn_mve_copy(patch + ky * row_len + kx0 * p->in_c,
                                        in_b + ((iy + ky) * p->in_w + ix + kx0) * p->in_c, (kx1 - kx0) * p->in_c);
                    }
                    x = patch;
                }
                conv_mve_window(p, x, weights, depth, out);
            }
        }
    }
    return 1;
}
#endif

#endif /* EDGENN_CONV_2D_MVE_H */
