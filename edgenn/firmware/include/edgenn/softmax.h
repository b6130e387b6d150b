#ifndef EDGENN_SOFTMAX_H
#define EDGENN_SOFTMAX_H

#include "edgenn.h"

typedef struct {
    int32_t rows;  /* product of all but the last dimension */
    int32_t depth; /* length of the last axis, the one normalized over */
    /* beta * input scale * 2^26 as a Q31 multiplier and left shift: differences to the row
     * maximum become Q5.26. */
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min; /* differences below this contribute exactly 0 */
} edgenn_softmax_params;

/* Output quantization is fixed: scale 1/256, zero point -128. input and output may be the same. */
void edgenn_softmax(const edgenn_softmax_params *p, const int8_t *input, int8_t *output);

/* int16 output, quantization fixed at scale 1/65536 and zero point -32768. */
void edgenn_softmax_int16_output(const edgenn_softmax_params *p, const int8_t *input, int16_t *output);

#endif /* EDGENN_SOFTMAX_H */
