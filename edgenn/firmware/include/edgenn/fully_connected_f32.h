#ifndef EDGENN_FULLY_CONNECTED_F32_H
#define EDGENN_FULLY_CONNECTED_F32_H

#include "common_f32.h"

typedef struct {
    int32_t batches;
    int32_t accum_depth;
    int32_t output_depth;
    float act_min;
    float act_max;
    const float *bias; /* one per output; zeros where the model has none */
} edgenn_fully_connected_f32_params;

void edgenn_fully_connected_f32(const edgenn_fully_connected_f32_params *p, const float *input, const float *weights,
                                float *output);

#endif /* EDGENN_FULLY_CONNECTED_F32_H */
