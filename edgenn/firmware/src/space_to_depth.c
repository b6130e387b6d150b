/* SPACE_TO_DEPTH, int8: twin of edgenn/reference/space_to_depth.py (TFLM copies the codes; no rescale). */
#include "space_to_depth.h"

void edgenn_space_to_depth(const edgenn_strided_copy *p, const int8_t *input, int8_t *output) {
    edgenn_strided_copy_run(p, input, output);
}
