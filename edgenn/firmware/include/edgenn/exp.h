#ifndef EDGENN_EXP_H
#define EDGENN_EXP_H

#include "edgenn.h"

void edgenn_exp(int32_t size, const float *input, float *output);

#endif /* EDGENN_EXP_H */
