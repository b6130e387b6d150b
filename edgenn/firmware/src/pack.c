/* PACK, int8: twin of edgenn/reference/pack.py (TFLM copies the codes; no rescale). */
#include "pack.h"

void edgenn_pack(const edgenn_concatenation_params *p, int8_t *output) {
    edgenn_concatenation(p, output);
}
