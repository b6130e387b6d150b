/* SPLIT: twin of edgenn/reference/split.py (TFLM copies the codes, whatever their type; no rescale). */
#include "split.h"

void edgenn_split(const edgenn_strided_copy *p, const int8_t *input, int8_t *output) {
    edgenn_strided_copy_run(p, input, output);
}
