/* MINIMUM, int8: twin of edgenn/reference/minimum.py (TFLM's MaximumMinimumBroadcastSlow, MinimumOp). */
#include "minimum.h"

static void minimum_row(const void *params, const int8_t *in1, int32_t step1, const int8_t *in2, int32_t step2,
                        int8_t *out, int32_t n) {
    (void)params;
    edgenn_ew_pick_row(in1, step1, in2, step2, out, n, 0);
}

void edgenn_minimum(const edgenn_minimum_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    edgenn_ew_binary(&p->broadcast, minimum_row, p, input1, input2, output);
}
