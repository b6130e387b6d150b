/* EXP, float32: twin of edgenn/reference/exp.py. */
#include "exp.h"

#include <math.h>

void edgenn_exp(int32_t size, const float *input, float *output) {
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = input[i];
        output[i] = expf(x);
    }
}
