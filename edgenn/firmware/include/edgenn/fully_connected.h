#ifndef EDGENN_FULLY_CONNECTED_H
#define EDGENN_FULLY_CONNECTED_H

#include "edgenn.h"

typedef struct {
    int32_t batches;
    int32_t accum_depth;
    int32_t output_depth;
    int32_t output_offset;
    int32_t act_min;
    int32_t act_max;
    /* 2 * output_offset + 1 where multiplier/shift hold the one-multiply requantization's constants
     * (conv_common.h's edgenn_conv_rq: shift is the right shift - 1), 0 where they are TFLM's own */
    int32_t rq_k;
    /* Per output channel: bias + input_offset * sum(weights), folded at export time. */
    const int32_t *bias;
    const int32_t *multiplier;
    const int8_t *shift;
} edgenn_fully_connected_params;

void edgenn_fully_connected(const edgenn_fully_connected_params *p, const int8_t *input, const int8_t *weights,
                            int8_t *output);

#endif /* EDGENN_FULLY_CONNECTED_H */
