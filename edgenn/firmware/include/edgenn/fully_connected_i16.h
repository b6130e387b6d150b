#ifndef EDGENN_FULLY_CONNECTED_I16_H
#define EDGENN_FULLY_CONNECTED_I16_H

#include "edgenn.h"

typedef struct {
    int32_t batches;
    int32_t accum_depth;
    int32_t output_depth;
    int32_t act_min;
    int32_t act_max;
    const int64_t *bias; /* per output channel, or NULL */
    /* Per output channel, the 64-bit rescale (edgenn_requantize64 in int16x8.h). */
    const int32_t *multiplier;
    const int8_t *shift;
} edgenn_fully_connected_i16_params;

void edgenn_fully_connected_i16(const edgenn_fully_connected_i16_params *p, const int16_t *input,
                                const int8_t *weights, int16_t *output);

#endif /* EDGENN_FULLY_CONNECTED_I16_H */
