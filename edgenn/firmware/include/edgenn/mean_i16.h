#ifndef EDGENN_MEAN_I16_H
#define EDGENN_MEAN_I16_H

#include "mean.h"

/* The int8 MEAN's parameters on int16 codes. */
void edgenn_mean_i16(const edgenn_mean_params *p, const int16_t *input, int16_t *output);

#endif /* EDGENN_MEAN_I16_H */
