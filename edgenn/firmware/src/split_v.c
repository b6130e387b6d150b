/* SPLIT_V: twin of edgenn/reference/split_v.py (TFLM copies the codes, whatever their type; no rescale). */
#include "split_v.h"

void edgenn_split_v(const edgenn_strided_copy *p, const int8_t *input, int8_t *output) {
    edgenn_strided_copy_run(p, input, output);
}
