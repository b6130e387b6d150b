#ifndef EDGENN_CONV_2D_H
#define EDGENN_CONV_2D_H

#include "edgenn.h"

typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t in_c;
    int32_t out_h;
    int32_t out_w;
    int32_t out_c;
    int32_t filter_h;
    int32_t filter_w;
    int32_t group_c;   /* input channels per group: the weights' depth */
    /* Output channels per group. The kernel computes group_out * groups channels, out_c values apart from
     * one pixel to the next: all of them, or (one group) the first group_out of a packed layer's slice. */
    int32_t group_out;
    int32_t groups;
    int32_t stride_h;
    int32_t stride_w;
    int32_t dilation_h;
    int32_t dilation_w;
    int32_t pad_top;
    int32_t pad_left;
    /* Output rows [inner_y0, inner_y1) and columns [inner_x0, inner_x1) see no padding. */
    int32_t inner_y0;
    int32_t inner_y1;
    int32_t inner_x0;
    int32_t inner_x1;
    /*
     * Such a window, read in weight order, is `runs` runs of `run_len` contiguous input values, run r
     * starting run_offset[r] values after the window's first one (NULL for a single run, at 0).
     */
    int32_t runs;
    int32_t run_len;
    const int32_t *run_offset;
    int32_t input_offset;
    int32_t output_offset;
    int32_t act_min;
    int32_t act_max;
    /* Per output channel: bias + input_offset * sum(weights), for windows that see no padding. */
    const int32_t *bias;
    /* Per output channel: the bias alone, for the others (NULL when there are none). */
    const int32_t *bias_raw;
    /* Per output channel, requantization (edgenn_conv_out in conv_common.h). */
    const int32_t *multiplier;
    const int8_t *shift;
    /*
     * 2 * output_offset + 1 where export bounds the layer's accumulators and its right shifts r lie
     * in [1, 31]: the one-multiply requantization (edgenn_conv_rq), with shift[c] = r - 1. Else 0:
     * TFLM's two steps, with TFLM's shift.
     */
    int32_t rq_k;
} edgenn_conv_2d_params;

/* input [batches, in_h, in_w, in_c], weights [out_c, filter_h, filter_w, group_c], output [batches, out_h,
 * out_w, out_c]. */
void edgenn_conv_2d(const edgenn_conv_2d_params *p, const int8_t *input, const int8_t *weights, int8_t *output);

/* The layer on int4 weights (packed.h), read in the pair path's loop (CONV_INT4); 0 where that path
 * declines the layer's windows. */
int edgenn_conv_2d_int4(const edgenn_conv_2d_params *p, const int8_t *input, const uint8_t *weights,
                        int8_t *output);

#endif /* EDGENN_CONV_2D_H */
