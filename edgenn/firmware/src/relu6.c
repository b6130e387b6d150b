/* RELU6, int8: twin of edgenn/reference/relu6.py (TFLM's Relu6Quantized clamps codes, never rescales). */
#include "relu6.h"

void edgenn_relu6(const edgenn_relu6_params *p, const int8_t *input, int8_t *output) {
    const int8_t lower = p->lower;
    const int8_t upper = p->upper;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int8_t x = input[i];
        /* upper bound first, as TFLM tests it: the order matters only if the bounds cross */
        output[i] = x > upper ? upper : (x < lower ? lower : x);
    }
}
