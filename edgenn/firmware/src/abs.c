/* ABS, int8: twin of edgenn/reference/abs.py (TFLM's AbsEvalQuantized), through its 256-entry table. */
#include "abs.h"

void edgenn_abs(const edgenn_abs_params *p, const int8_t *input, int8_t *output) {
    const int8_t *table = p->table;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = table[(int32_t)input[i] + 128];
    }
}
