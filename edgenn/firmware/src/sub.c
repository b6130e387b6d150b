/* SUB, int8: twin of edgenn/reference/sub.py (TFLM's reference_ops::Sub and BroadcastQuantSubSlow). */
#include "sub.h"

static void sub_row(const void *params, const int8_t *in1, int32_t step1, const int8_t *in2, int32_t step2,
                    int8_t *out, int32_t n) {
    edgenn_ew_rescaled_row((const edgenn_add_params *)params, in1, step1, in2, step2, out, n, EDGENN_EW_SUB);
}

void edgenn_sub(const edgenn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    edgenn_ew_binary(&p->broadcast, sub_row, p, input1, input2, output);
}
