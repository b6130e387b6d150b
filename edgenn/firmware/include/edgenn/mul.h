#ifndef EDGENN_MUL_H
#define EDGENN_MUL_H

#include "edgenn.h"
#include "elementwise.h"

typedef struct {
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t output_offset;
    /* input1_scale * input2_scale / output_scale */
    int32_t multiplier;
    int32_t shift;
    int32_t act_min;
    int32_t act_max;
    edgenn_ew_broadcast broadcast;
} edgenn_mul_params;

void edgenn_mul(const edgenn_mul_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

#endif /* EDGENN_MUL_H */
