#ifndef EDGENN_MEAN_H
#define EDGENN_MEAN_H

#include "edgenn.h"
#include "reductions.h"

/* The output [outer, middle, inner] averages the layout's input over reduce0 and reduce1. */
typedef struct {
    edgenn_reduce_layout layout;
    int32_t zero_sum; /* input zero point * reduce0 * reduce1, wrapped to int32 */
    int32_t output_zp;
    int32_t multiplier; /* the input/output rescale with 1 / (reduce0 * reduce1) folded in */
    int32_t shift;
} edgenn_mean_params;

void edgenn_mean(const edgenn_mean_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_MEAN_H */
