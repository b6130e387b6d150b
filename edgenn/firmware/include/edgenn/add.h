#ifndef EDGENN_ADD_H
#define EDGENN_ADD_H

#include "edgenn.h"
#include "elementwise.h"

/* output = input1 + input2, broadcast as p->broadcast says (edgenn_add_params, which SUB and
 * SQUARED_DIFFERENCE share, is in elementwise.h) */
void edgenn_add(const edgenn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/*
 * ADD of two operands of `size` elements each, without broadcasting. Each input's rescaled value
 * depends only on its int8 code, so export computes all 256 of them per input (indexed by the code
 * read as uint8_t); what is left per element is their sum and the output's requantization.
 */
typedef struct {
    const int32_t *table1;
    const int32_t *table2;
    int32_t size;
    int32_t output_offset;
    int32_t output_multiplier;
    int32_t output_shift; /* TFLM's */
    /* 2 * output_offset + 1 where the one-multiply requantization (conv_common.h's edgenn_conv_rq)
     * is exact for every sum of table entries, 0 where TFLM's two steps run */
    int32_t rq_k;
    int32_t act_min;
    int32_t act_max;
} edgenn_add_table_params;

void edgenn_add_table(const edgenn_add_table_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

#endif /* EDGENN_ADD_H */
