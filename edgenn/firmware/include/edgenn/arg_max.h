#ifndef EDGENN_ARG_MAX_H
#define EDGENN_ARG_MAX_H

#include "edgenn.h"
#include "reductions.h"

/* output[outer][inner]: the first index along the axis of the largest input code. */
void edgenn_arg_max(const edgenn_arg_min_max_params *p, const int8_t *input, int32_t *output);

#endif /* EDGENN_ARG_MAX_H */
