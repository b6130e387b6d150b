#ifndef EDGENN_CONCATENATION_H
#define EDGENN_CONCATENATION_H

#include "edgenn.h"

#define EDGENN_CONCATENATION_MAX_INPUTS 10

typedef struct {
    int32_t num_inputs;
    int32_t outer; /* product of the output dims before the axis */
    /* Per input: where it is, and its bytes per outer step (its axis dim times the inner dims). */
    const int8_t *inputs[EDGENN_CONCATENATION_MAX_INPUTS];
    int32_t copy_size[EDGENN_CONCATENATION_MAX_INPUTS];
} edgenn_concatenation_params;

/* Codes are copied unchanged: export requires every input to share the output's quantization. */
void edgenn_concatenation(const edgenn_concatenation_params *p, int8_t *output);

#endif /* EDGENN_CONCATENATION_H */
