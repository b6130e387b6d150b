/* RELU, int8: twin of edgenn/reference/relu.py (TFLM's ReluQuantized: rescale, then clamp at zero). */
#include "relu.h"

void edgenn_relu(const edgenn_relu_params *p, const int8_t *input, int8_t *output) {
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t y = edgenn_requantize((int32_t)input[i] - p->input_zero_point, p->multiplier, p->shift);
        output[i] = edgenn_clamp_int8(y + p->output_zero_point, p->act_min, p->act_max);
    }
}
