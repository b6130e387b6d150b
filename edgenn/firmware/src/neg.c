/* NEG, float32: twin of edgenn/reference/neg.py. */
#include "neg.h"

void edgenn_neg(int32_t size, const float *input, float *output) {
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = input[i];
        output[i] = -x;
    }
}
