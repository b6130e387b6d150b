#ifndef EDGENN_AVERAGE_POOL_2D_I16_H
#define EDGENN_AVERAGE_POOL_2D_I16_H

#include "average_pool_2d.h"

/* input [batches, in_h, in_w, channels], output [batches, out_h, out_w, channels], int16 codes. */
void edgenn_average_pool_2d_i16(const edgenn_average_pool_2d_params *p, const int16_t *input, int16_t *output);

#endif /* EDGENN_AVERAGE_POOL_2D_I16_H */
