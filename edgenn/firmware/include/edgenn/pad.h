#ifndef EDGENN_PAD_H
#define EDGENN_PAD_H

#include "edgenn.h"

#define EDGENN_PAD_RANK 5

/* Input dims and their paddings, left-filled to five dims; unpadded inner dims merged at export. */
typedef struct {
    int32_t dims[EDGENN_PAD_RANK];
    int32_t before[EDGENN_PAD_RANK];
    int32_t after[EDGENN_PAD_RANK];
    int32_t pad_value; /* the output zero point, an int8 code */
} edgenn_pad_params;

void edgenn_pad(const edgenn_pad_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_PAD_H */
