#ifndef EDGENN_MAX_POOL_2D_F32_H
#define EDGENN_MAX_POOL_2D_F32_H

#include "common_f32.h"

void edgenn_max_pool_2d_f32(const edgenn_window_f32 *p, const float *input, float *output);

#endif /* EDGENN_MAX_POOL_2D_F32_H */
