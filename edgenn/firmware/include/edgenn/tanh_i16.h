#ifndef EDGENN_TANH_I16_H
#define EDGENN_TANH_I16_H

#include "sigmoid_i16.h"

/* Q0.15 tanh of int16 codes; input and output may be the same. */
void edgenn_tanh_i16(const edgenn_sigmoid_i16_params *p, const int16_t *input, int16_t *output);

#endif /* EDGENN_TANH_I16_H */
