#ifndef EDGENN_ADD_H
#define EDGENN_ADD_H

#include "edgenn.h"
#include "elementwise.h"

typedef struct {
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t output_offset;
    int32_t left_shift;
    /* input shares of twice the larger input scale, and the output rescale: all below one */
    int32_t input1_multiplier;
    int32_t input1_shift;
    int32_t input2_multiplier;
    int32_t input2_shift;
    int32_t output_multiplier;
    int32_t output_shift;
    int32_t act_min;
    int32_t act_max;
    edgenn_ew_broadcast broadcast;
} edgenn_add_params;

void edgenn_add(const edgenn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

#endif /* EDGENN_ADD_H */
