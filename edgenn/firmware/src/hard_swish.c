/* HARD_SWISH, int8: twin of edgenn/reference/hard_swish.py (TFLM's reference_ops::HardSwish),
 * through its 256-entry table. */
#include "hard_swish.h"

void edgenn_hard_swish(const edgenn_hard_swish_params *p, const int8_t *input, int8_t *output) {
    const int8_t *table = p->table;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = table[(int32_t)input[i] + 128];
    }
}
