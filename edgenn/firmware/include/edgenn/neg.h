#ifndef EDGENN_NEG_H
#define EDGENN_NEG_H

#include "edgenn.h"

void edgenn_neg(int32_t size, const float *input, float *output);

#endif /* EDGENN_NEG_H */
