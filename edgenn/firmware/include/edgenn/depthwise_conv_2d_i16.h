#ifndef EDGENN_DEPTHWISE_CONV_2D_I16_H
#define EDGENN_DEPTHWISE_CONV_2D_I16_H

#include "edgenn.h"

typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t in_c;
    int32_t out_h;
    int32_t out_w;
    int32_t out_c;
    int32_t depth_multiplier;
    int32_t filter_h;
    int32_t filter_w;
    int32_t stride_h;
    int32_t stride_w;
    int32_t dilation_h;
    int32_t dilation_w;
    int32_t pad_top;
    int32_t pad_left;
    int32_t act_min;
    int32_t act_max;
    const int64_t *bias; /* per output channel, or NULL */
    /* Per output channel, the 64-bit rescale (edgenn_requantize64 in int16x8.h). */
    const int32_t *multiplier;
    const int8_t *shift;
} edgenn_depthwise_conv_2d_i16_params;

/* input [batches, in_h, in_w, in_c], weights [1, filter_h, filter_w, out_c], output [batches, out_h, out_w,
 * out_c], out_c = in_c * depth_multiplier. */
void edgenn_depthwise_conv_2d_i16(const edgenn_depthwise_conv_2d_i16_params *p, const int16_t *input,
                                  const int8_t *weights, int16_t *output);

#endif /* EDGENN_DEPTHWISE_CONV_2D_I16_H */
