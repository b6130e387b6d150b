#ifndef EDGENN_LEAKY_RELU_H
#define EDGENN_LEAKY_RELU_H

#include "edgenn.h"

typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t output_zero_point;
    /* input_scale / output_scale, for inputs at or above the zero point */
    int32_t identity_multiplier;
    int32_t identity_shift;
    /* |input_scale * alpha / output_scale|, for inputs below it, the product negated after when
     * alpha_negative (a multiplier of -2^31 stays -2^31, as TFLM's negation wraps it) */
    int32_t alpha_multiplier;
    int32_t alpha_shift;
    int32_t alpha_negative;
} edgenn_leaky_relu_params;

void edgenn_leaky_relu(const edgenn_leaky_relu_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_LEAKY_RELU_H */
