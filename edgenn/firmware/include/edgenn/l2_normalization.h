#ifndef EDGENN_L2_NORMALIZATION_H
#define EDGENN_L2_NORMALIZATION_H

#include "edgenn.h"

typedef struct {
    int32_t outer_size; /* rows of `depth` elements, each normalized on its own */
    int32_t depth;      /* export checked that a row's sum of squares stays below 2^29 */
    int32_t input_zero_point;
} edgenn_l2_normalization_params;

/* The output is in 1/128ths, zero point 0. */
void edgenn_l2_normalization(const edgenn_l2_normalization_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_L2_NORMALIZATION_H */
