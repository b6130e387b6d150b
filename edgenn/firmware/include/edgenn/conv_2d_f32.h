#ifndef EDGENN_CONV_2D_F32_H
#define EDGENN_CONV_2D_F32_H

#include "common_f32.h"

void edgenn_conv_2d_f32(const edgenn_window_f32 *p, const float *input, const float *weights, float *output);

#endif /* EDGENN_CONV_2D_F32_H */
