#ifndef EDGENN_TRANSPOSE_CONV_H
#define EDGENN_TRANSPOSE_CONV_H

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
    int32_t stride_h;
    int32_t stride_w;
    int32_t pad_top;
    int32_t pad_left;
    int32_t input_offset;
    int32_t output_offset;
    int32_t act_min;
    int32_t act_max;
    /* Per output channel: the bias (zeros without one). */
    const int32_t *bias;
    /* Per output channel, requantization (edgenn_conv_out in conv_common.h), as edgenn_conv_2d_params. */
    const int32_t *multiplier;
    const int8_t *shift;
    int32_t rq_k;
} edgenn_transpose_conv_params;

/* input [batches, in_h, in_w, in_c], weights [out_c, filter_h, filter_w, in_c], output [batches, out_h,
 * out_w, out_c]. */
void edgenn_transpose_conv(const edgenn_transpose_conv_params *p, const int8_t *input, const int8_t *weights,
                           int8_t *output);

#endif /* EDGENN_TRANSPOSE_CONV_H */
