#ifndef EDGENN_RELU6_I16_H
#define EDGENN_RELU6_I16_H

#include "edgenn.h"

typedef struct {
    int32_t size;
    int32_t upper; /* quantized 6 in the input's quantization (zero point 0: the lower bound is 0) */
} edgenn_relu6_i16_params;

void edgenn_relu6_i16(const edgenn_relu6_i16_params *p, const int16_t *input, int16_t *output);

#endif /* EDGENN_RELU6_I16_H */
