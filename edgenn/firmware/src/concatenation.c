/* CONCATENATION, int8: twin of edgenn/reference/concatenation.py (TFLM's reference_ops::Concatenation). */
#include "concatenation.h"

void edgenn_concatenation(const edgenn_concatenation_params *p, int8_t *output) {
    int32_t k;
    int32_t i;
    for (k = 0; k < p->outer; ++k) {
        for (i = 0; i < p->num_inputs; ++i) {
            const int32_t n = p->copy_size[i];
            edgenn_copy_bytes(output, p->inputs[i] + k * n, (size_t)n);
            output += n;
        }
    }
}
