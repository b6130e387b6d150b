#ifndef EDGENN_SOFTMAX_F32_H
#define EDGENN_SOFTMAX_F32_H

#include "edgenn.h"

typedef struct {
    int32_t rows;  /* product of the dims before the last */
    int32_t depth; /* the last dim, normalised over */
    float beta;
} edgenn_softmax_f32_params;

void edgenn_softmax_f32(const edgenn_softmax_f32_params *p, const float *input, float *output);

#endif /* EDGENN_SOFTMAX_F32_H */
