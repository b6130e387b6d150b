/* MAX_POOL_2D, float32: twin of edgenn/reference/max_pool_2d_f32.py. */
#include "max_pool_2d_f32.h"

#include <float.h>

void edgenn_max_pool_2d_f32(const edgenn_window_f32 *p, const float *input, float *output) {
    edgenn_pool_f32(p, input, output, 1, -FLT_MAX);
}
