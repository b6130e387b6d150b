/* TANH, int8: twin of edgenn/reference/tanh.py, through its 256-entry table. */
#include "tanh.h"

void edgenn_tanh(const edgenn_tanh_params *p, const int8_t *input, int8_t *output) {
    const int8_t *table = p->table;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = table[(int32_t)input[i] + 128];
    }
}
