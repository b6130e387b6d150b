#ifndef EDGENN_MIRROR_PAD_H
#define EDGENN_MIRROR_PAD_H

#include "edgenn.h"

#define EDGENN_MIRROR_PAD_RANK 5

/* Input dims and their paddings, left-filled to five dims. */
typedef struct {
    int32_t dims[EDGENN_MIRROR_PAD_RANK];
    int32_t before[EDGENN_MIRROR_PAD_RANK];
    int32_t after[EDGENN_MIRROR_PAD_RANK];
    int32_t offset; /* 1: REFLECT (skips the edge element), 0: SYMMETRIC (repeats it) */
} edgenn_mirror_pad_params;

void edgenn_mirror_pad(const edgenn_mirror_pad_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_MIRROR_PAD_H */
