#ifndef EDGENN_RELU_F32_H
#define EDGENN_RELU_F32_H

#include "edgenn.h"

void edgenn_relu_f32(int32_t size, const float *input, float *output);

#endif /* EDGENN_RELU_F32_H */
