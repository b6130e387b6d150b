/* BROADCAST_TO, int8: twin of edgenn/reference/broadcast_to.py (TFLM copies the codes; no rescale). */
#include "broadcast_to.h"

void edgenn_broadcast_to(const edgenn_strided_copy *p, const int8_t *input, int8_t *output) {
    edgenn_strided_copy_run(p, input, output);
}
