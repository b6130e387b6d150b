/* SQUARED_DIFFERENCE, int8: twin of edgenn/reference/squared_difference.py (TFLM's squared_difference.cc). */
#include "squared_difference.h"

static void sqd_row(const void *params, const int8_t *in1, int32_t step1, const int8_t *in2, int32_t step2,
                    int8_t *out, int32_t n) {
    edgenn_ew_rescaled_row((const edgenn_add_params *)params, in1, step1, in2, step2, out, n,
                           EDGENN_EW_SQUARED_DIFFERENCE);
}

void edgenn_squared_difference(const edgenn_add_params *p, const int8_t *input1, const int8_t *input2,
                               int8_t *output) {
    edgenn_ew_binary(&p->broadcast, sqd_row, p, input1, input2, output);
}
