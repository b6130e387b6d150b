/* SLICE, int8: twin of edgenn/reference/slice.py (TFLM copies the codes; no rescale). */
#include "slice.h"

void edgenn_slice(const edgenn_strided_copy *p, const int8_t *input, int8_t *output) {
    edgenn_strided_copy_run(p, input, output);
}
