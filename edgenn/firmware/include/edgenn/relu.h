#ifndef EDGENN_RELU_H
#define EDGENN_RELU_H

#include "edgenn.h"
#include "elementwise.h"

typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t output_zero_point;
    /* input_scale / output_scale */
    int32_t multiplier;
    int32_t shift;
    int32_t act_min;
    int32_t act_max;
} edgenn_relu_params;

void edgenn_relu(const edgenn_relu_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_RELU_H */
