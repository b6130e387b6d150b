/* ARG_MIN, int8 -> int32: twin of edgenn/reference/arg_min.py. */
#include "cold.h"
#include "arg_min.h"

void edgenn_arg_min(const edgenn_arg_min_max_params *p, const int8_t *input, int32_t *output) {
    edgenn_arg_max_s8(p, input, output, -1);
}
