#ifndef EDGENN_MEAN_F32_H
#define EDGENN_MEAN_F32_H

#include "reductions.h"

typedef struct {
    edgenn_reduce_layout layout;
    int32_t count; /* reduce0 * reduce1: the inputs averaged into each output */
} edgenn_mean_f32_params;

void edgenn_mean_f32(const edgenn_mean_f32_params *p, const float *input, float *output);

#endif /* EDGENN_MEAN_F32_H */
