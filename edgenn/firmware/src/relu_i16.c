/* RELU, int16x8: twin of edgenn/reference/relu_i16.py. */
#include "relu_i16.h"

#include "int16x8.h"

void edgenn_relu_i16(const edgenn_relu_params *p, const int16_t *input, int16_t *output) {
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        output[i] = edgenn_clamp_int16(edgenn_requantize(x, p->multiplier, p->shift) + p->output_zero_point,
                                       p->act_min, p->act_max);
    }
}
