/* TANH, int16x8: twin of edgenn/reference/tanh_i16.py. */
#include "tanh_i16.h"

void edgenn_tanh_i16(const edgenn_sigmoid_i16_params *p, const int16_t *input, int16_t *output) {
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (int16_t)edgenn_tanh16(p->sigmoid_table, input[i], p->multiplier, p->shift);
    }
}
