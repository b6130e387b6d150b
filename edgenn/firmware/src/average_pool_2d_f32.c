/* AVERAGE_POOL_2D, float32: twin of edgenn/reference/average_pool_2d_f32.py. */
#include "average_pool_2d_f32.h"

void edgenn_average_pool_2d_f32(const edgenn_window_f32 *p, const float *input, float *output) {
    edgenn_pool_f32(p, input, output, 0, 0.0f);
}
