/* TANH, float32: twin of edgenn/reference/tanh_f32.py. */
#include "tanh_f32.h"

#include <math.h>

void edgenn_tanh_f32(int32_t size, const float *input, float *output) {
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = input[i];
        output[i] = tanhf(x);
    }
}
