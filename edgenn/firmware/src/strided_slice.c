/* STRIDED_SLICE, int8: twin of edgenn/reference/strided_slice.py (TFLM copies the codes; no rescale). */
#include "strided_slice.h"

void edgenn_strided_slice(const edgenn_strided_copy *p, const int8_t *input, int8_t *output) {
    edgenn_strided_copy_run(p, input, output);
}
