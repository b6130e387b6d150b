/* RELU, float32: twin of edgenn/reference/relu_f32.py. */
#include "relu_f32.h"

#include <float.h>

void edgenn_relu_f32(int32_t size, const float *input, float *output) {
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = input[i];
        output[i] = x > FLT_MAX ? FLT_MAX : (x < 0.0f ? 0.0f : x);
    }
}
