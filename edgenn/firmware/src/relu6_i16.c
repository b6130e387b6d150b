/* RELU6, int16x8: twin of edgenn/reference/relu6_i16.py. */
#include "relu6_i16.h"

#include "int16x8.h"

void edgenn_relu6_i16(const edgenn_relu6_i16_params *p, const int16_t *input, int16_t *output) {
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = edgenn_clamp_int16(input[i], 0, p->upper);
    }
}
