#ifndef EDGENN_MAX_POOL_2D_H
#define EDGENN_MAX_POOL_2D_H

#include "edgenn.h"

typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t channels;
    int32_t out_h;
    int32_t out_w;
    int32_t filter_h;
    int32_t filter_w;
    int32_t stride_h;
    int32_t stride_w;
    int32_t pad_top;
    int32_t pad_left;
    int32_t act_min;
    int32_t act_max;
} edgenn_max_pool_2d_params;

/* input [batches, in_h, in_w, channels], output [batches, out_h, out_w, channels]. */
void edgenn_max_pool_2d(const edgenn_max_pool_2d_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_MAX_POOL_2D_H */
