#ifndef EDGENN_PRELU_H
#define EDGENN_PRELU_H

#include "edgenn.h"
#include "elementwise.h"

typedef struct {
    int32_t input_offset; /* minus the zero points of the input and alpha */
    int32_t alpha_offset;
    int32_t output_offset;
    /* input_scale / output_scale, for inputs at or above the zero point */
    int32_t identity_multiplier;
    int32_t identity_shift;
    /* input_scale * alpha_scale / output_scale, for the products below it */
    int32_t alpha_multiplier;
    int32_t alpha_shift;
    edgenn_ew_broadcast broadcast; /* input as input1, alpha as input2 */
} edgenn_prelu_params;

void edgenn_prelu(const edgenn_prelu_params *p, const int8_t *input, const int8_t *alpha, int8_t *output);

#endif /* EDGENN_PRELU_H */
