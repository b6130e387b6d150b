/* RSQRT, int8: twin of edgenn/reference/rsqrt.py (TFLM's RsqrtEvalQuantized), through its 256-entry table. */
#include "rsqrt.h"

void edgenn_rsqrt(const edgenn_rsqrt_params *p, const int8_t *input, int8_t *output) {
    const int8_t *table = p->table;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = table[(int32_t)input[i] + 128];
    }
}
