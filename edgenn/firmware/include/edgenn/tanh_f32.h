#ifndef EDGENN_TANH_F32_H
#define EDGENN_TANH_F32_H

#include "edgenn.h"

void edgenn_tanh_f32(int32_t size, const float *input, float *output);

#endif /* EDGENN_TANH_F32_H */
