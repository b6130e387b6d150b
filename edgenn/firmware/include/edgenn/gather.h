#ifndef EDGENN_GATHER_H
#define EDGENN_GATHER_H

#include "edgenn.h"

typedef struct {
    int32_t batch;      /* product of the first batch_dims dims */
    int32_t outer;      /* product of the input dims from batch_dims up to the axis */
    int32_t axis_size;  /* the input's length along the axis */
    int32_t coord_size; /* indices per batch */
    int32_t inner;      /* product of the input dims after the axis: the run each index copies */
} edgenn_gather_params;

/* Codes are copied unchanged; an index outside [0, axis_size) writes zeros (TFLM leaves it undefined). */
void edgenn_gather(const edgenn_gather_params *p, const int8_t *input, const int32_t *indices, int8_t *output);

#endif /* EDGENN_GATHER_H */
