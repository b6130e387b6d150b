/* TRANSPOSE, int8: twin of edgenn/reference/transpose.py (TFLM copies the codes; no rescale). */
#include "transpose.h"

void edgenn_transpose(const edgenn_strided_copy *p, const int8_t *input, int8_t *output) {
    edgenn_strided_copy_run(p, input, output);
}
