#ifndef EDGENN_DEPTHWISE_CONV_2D_H
#define EDGENN_DEPTHWISE_CONV_2D_H

#include "edgenn.h"

typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t in_c;
    int32_t out_h;
    int32_t out_w;
    int32_t out_c; /* in_c * depth_multiplier: output channel c reads input channel c / depth_multiplier */
    int32_t depth_multiplier;
    int32_t filter_h;
    int32_t filter_w;
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
    /*
     * One input channel (in_c == 1), out_c a multiple of 4 and dilation_w == 1, where filter_h line
     * buffer rows of EDGENN_DW_LINE_PITCH bytes fit EDGENN_DW_LINE_BYTES: the weights again as int16
     * pairs (low half first) for the line-buffer path, else NULL. Per group g of four output channels,
     * filter row r, group q of four taps (kx = 4q + t, zero past filter_w) and channel j of the group,
     * two words: taps (0, 2) and taps (1, 3).
     */
    const int32_t *wpack;
} edgenn_depthwise_conv_2d_params;

/* The line-buffer path's stack bytes and its row pitch (input columns a row of windows reads, plus the
 * slack of the last tap group). */
#define EDGENN_DW_LINE_BYTES 512
#define EDGENN_DW_LINE_PITCH(p) (((p)->out_w - 1) * (p)->stride_w + 4 * (((p)->filter_w + 3) / 4))

/* input [batches, in_h, in_w, in_c], weights [1, filter_h, filter_w, out_c], output [batches, out_h, out_w,
 * out_c]. */
void edgenn_depthwise_conv_2d(const edgenn_depthwise_conv_2d_params *p, const int8_t *input, const int8_t *weights,
                              int8_t *output);

#endif /* EDGENN_DEPTHWISE_CONV_2D_H */
