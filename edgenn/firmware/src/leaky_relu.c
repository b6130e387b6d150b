/* LEAKY_RELU, int8: twin of edgenn/reference/leaky_relu.py (TFLM's QuantizeLeakyRelu). */
#include "leaky_relu.h"

void edgenn_leaky_relu(const edgenn_leaky_relu_params *p, const int8_t *input, int8_t *output) {
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        /* TFLM's int32 arithmetic wraps for an extreme zero point or multiplier; unsigned
         * arithmetic wraps the same way without C's signed-overflow undefined behaviour */
        const int32_t x = (int32_t)((uint32_t)(int32_t)input[i] - (uint32_t)p->input_zero_point);
        int32_t y;
        if (x >= 0) {
            y = edgenn_requantize(x, p->identity_multiplier, p->identity_shift);
        } else {
            /* requantizing the magnitude and negating rounds ties as TFLM does (a signed
             * multiplier would round them the other way); y is never INT32_MIN here */
            y = edgenn_requantize(x, p->alpha_multiplier, p->alpha_shift);
            y = p->alpha_negative ? -y : y;
        }
        output[i] = edgenn_clamp_int8((int32_t)((uint32_t)y + (uint32_t)p->output_zero_point), -128, 127);
    }
}
