#ifndef EDGENN_MAX_POOL_2D_I16_H
#define EDGENN_MAX_POOL_2D_I16_H

#include "max_pool_2d.h"

/* input [batches, in_h, in_w, channels], output [batches, out_h, out_w, channels], int16 codes. */
void edgenn_max_pool_2d_i16(const edgenn_max_pool_2d_params *p, const int16_t *input, int16_t *output);

#endif /* EDGENN_MAX_POOL_2D_I16_H */
