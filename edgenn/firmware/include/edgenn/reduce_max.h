#ifndef EDGENN_REDUCE_MAX_H
#define EDGENN_REDUCE_MAX_H

#include "edgenn.h"
#include "reductions.h"

/* The output [outer, middle, inner] is the largest code over reduce0 and reduce1 of the layout. */
typedef struct {
    edgenn_reduce_layout layout;
} edgenn_reduce_max_params;

void edgenn_reduce_max(const edgenn_reduce_max_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_REDUCE_MAX_H */
