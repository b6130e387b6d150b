#ifndef EDGENN_RELU6_H
#define EDGENN_RELU6_H

#include "edgenn.h"

typedef struct {
    int32_t size;
    /* quantized 0 and 6 in the input's quantization, as int8 (TFLM keeps them as int8_t) */
    int8_t lower;
    int8_t upper;
} edgenn_relu6_params;

void edgenn_relu6(const edgenn_relu6_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_RELU6_H */
