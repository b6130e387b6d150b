#ifndef EDGENN_SOFTMAX_I16_H
#define EDGENN_SOFTMAX_I16_H

#include "edgenn.h"

typedef struct {
    int32_t rows;  /* product of all but the last dimension */
    int32_t depth; /* length of the last axis, the one normalized over */
    /* Rescales a difference to the row maximum so that [-65535, 0] spans [-10, 0]. */
    int32_t input_multiplier;
    int32_t input_shift;
    const int16_t *exp_lut;        /* 513 entries: exp on [-10, 0], Q0.15 */
    const int16_t *reciprocal_lut; /* 513 entries: 1 / (1 + x) on [0, 1], Q0.15 */
} edgenn_softmax_i16_params;

/* Output quantization is fixed: scale 1/32768, zero point 0. input and output may be the same. */
void edgenn_softmax_i16(const edgenn_softmax_i16_params *p, const int16_t *input, int16_t *output);

#endif /* EDGENN_SOFTMAX_I16_H */
