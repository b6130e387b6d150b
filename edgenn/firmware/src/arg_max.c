/* ARG_MAX, int8 -> int32: twin of edgenn/reference/arg_max.py. */
#include "cold.h"
#include "arg_max.h"

void edgenn_arg_max(const edgenn_arg_min_max_params *p, const int8_t *input, int32_t *output) {
    edgenn_arg_max_s8(p, input, output, 0);
}
