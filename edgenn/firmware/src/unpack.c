/* UNPACK: twin of edgenn/reference/unpack.py (TFLM copies the codes, whatever their type; no rescale). */
#include "unpack.h"

void edgenn_unpack(const edgenn_strided_copy *p, const int8_t *input, int8_t *output) {
    edgenn_strided_copy_run(p, input, output);
}
