/* LOGISTIC, float32: twin of edgenn/reference/logistic_f32.py. */
#include "logistic_f32.h"

#include <math.h>

void edgenn_logistic_f32(int32_t size, const float *input, float *output) {
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = input[i];
        output[i] = x > 16.619047164916992188f ? 1.0f : (x < -9.0f ? expf(x) : 1.0f / (1.0f + expf(-x)));
    }
}
