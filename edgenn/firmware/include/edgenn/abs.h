#ifndef EDGENN_ABS_H
#define EDGENN_ABS_H

#include "edgenn.h"

typedef struct {
    int32_t size;
    /* The output for each input code -128 .. 127, computed at export time by the bit-exact
     * reference (edgenn/reference/abs.py): the op is a pure function of one int8 code. */
    const int8_t *table;
} edgenn_abs_params;

/* input and output may be the same. */
void edgenn_abs(const edgenn_abs_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_ABS_H */
