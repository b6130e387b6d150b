#ifndef EDGENN_LOGISTIC_F32_H
#define EDGENN_LOGISTIC_F32_H

#include "edgenn.h"

void edgenn_logistic_f32(int32_t size, const float *input, float *output);

#endif /* EDGENN_LOGISTIC_F32_H */
