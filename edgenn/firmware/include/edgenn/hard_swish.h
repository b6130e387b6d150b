#ifndef EDGENN_HARD_SWISH_H
#define EDGENN_HARD_SWISH_H

#include "edgenn.h"

typedef struct {
    int32_t size;
    /* The output for each input code -128 .. 127, computed at export time by the bit-exact
     * reference (edgenn/reference/hard_swish.py): the op is a pure function of one int8 code. */
    const int8_t *table;
} edgenn_hard_swish_params;

/* input and output may be the same. */
void edgenn_hard_swish(const edgenn_hard_swish_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_HARD_SWISH_H */
