#ifndef EDGENN_LOG_SOFTMAX_H
#define EDGENN_LOG_SOFTMAX_H

#include "edgenn.h"

typedef struct {
    int32_t rows;  /* product of all but the last dimension */
    int32_t depth; /* length of the last axis, the one normalized over */
    /* input scale * 2^26 as a Q31 multiplier and left shift: differences to the row maximum
     * become Q5.26. */
    int32_t input_multiplier;
    int32_t input_left_shift;
    /* 2^(31 - input_left_shift) / input_multiplier as a Q31 multiplier and shift (<= 0): a Q5.26
     * value back in input codes. */
    int32_t reverse_multiplier;
    int32_t reverse_shift;
    int32_t diff_min; /* differences below this contribute no exp */
} edgenn_log_softmax_params;

/* Output quantization is fixed: scale 16/256, zero point 127. input and output may be the same. */
void edgenn_log_softmax(const edgenn_log_softmax_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_LOG_SOFTMAX_H */
