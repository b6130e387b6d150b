/* MAXIMUM, int8: twin of edgenn/reference/maximum.py (TFLM's MaximumMinimumBroadcastSlow, MaximumOp). */
#include "maximum.h"

static void maximum_row(const void *params, const int8_t *in1, int32_t step1, const int8_t *in2, int32_t step2,
                        int8_t *out, int32_t n) {
    (void)params;
    edgenn_ew_pick_row(in1, step1, in2, step2, out, n, 1);
}

void edgenn_maximum(const edgenn_maximum_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    edgenn_ew_binary(&p->broadcast, maximum_row, p, input1, input2, output);
}
