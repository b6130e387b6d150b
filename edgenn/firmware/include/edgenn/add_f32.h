#ifndef EDGENN_ADD_F32_H
#define EDGENN_ADD_F32_H

#include "common_f32.h"

void edgenn_add_f32(const edgenn_binary_f32_params *p, const float *input1, const float *input2, float *output);

#endif /* EDGENN_ADD_F32_H */
