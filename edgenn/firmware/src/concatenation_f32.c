/* CONCATENATION, float32: twin of edgenn/reference/concatenation_f32.py. */
#include "concatenation_f32.h"

void edgenn_concatenation_f32(const edgenn_concatenation_params *p, float *output) {
    edgenn_concatenation(p, (int8_t *)(void *)output);
}
