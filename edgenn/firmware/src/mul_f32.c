/* MUL, float32: twin of edgenn/reference/mul_f32.py. */
#include "mul_f32.h"

void edgenn_mul_f32(const edgenn_binary_f32_params *p, const float *input1, const float *input2, float *output) {
    int32_t i;
    int32_t o1;
    int32_t o2;
    for (i = 0; i < p->b.size; ++i) {
        edgenn_binary_f32_offsets(&p->b, i, &o1, &o2);
        output[i] = edgenn_act_f32(input1[o1] * input2[o2], p->act_min, p->act_max);
    }
}
