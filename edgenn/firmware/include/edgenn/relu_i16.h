#ifndef EDGENN_RELU_I16_H
#define EDGENN_RELU_I16_H

#include "relu.h"

/* The int8 RELU's parameters on int16 codes; input and output may be the same. */
void edgenn_relu_i16(const edgenn_relu_params *p, const int16_t *input, int16_t *output);

#endif /* EDGENN_RELU_I16_H */
