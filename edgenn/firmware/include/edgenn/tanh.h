#ifndef EDGENN_TANH_H
#define EDGENN_TANH_H

#include "edgenn.h"

typedef struct {
    int32_t size;
    /* The output for each input code -128 .. 127, computed at export time by the bit-exact
     * reference: the op is a pure function of one int8 code, so the table is exact. */
    const int8_t *table;
} edgenn_tanh_params;

/* input and output may be the same. */
void edgenn_tanh(const edgenn_tanh_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_TANH_H */
