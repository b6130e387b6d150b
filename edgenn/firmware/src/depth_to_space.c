/* DEPTH_TO_SPACE, int8: twin of edgenn/reference/depth_to_space.py (TFLM copies the codes; no rescale). */
#include "depth_to_space.h"

void edgenn_depth_to_space(const edgenn_strided_copy *p, const int8_t *input, int8_t *output) {
    edgenn_strided_copy_run(p, input, output);
}
