/* RELU6, float32: twin of edgenn/reference/relu6_f32.py. */
#include "relu6_f32.h"

void edgenn_relu6_f32(int32_t size, const float *input, float *output) {
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = input[i];
        output[i] = x > 6.0f ? 6.0f : (x < 0.0f ? 0.0f : x);
    }
}
