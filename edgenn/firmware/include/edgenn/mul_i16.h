#ifndef EDGENN_MUL_I16_H
#define EDGENN_MUL_I16_H

#include "mul.h"

/* The int8 MUL's parameters (zero points 0, int16 clamps); input and output may be the same. */
void edgenn_mul_i16(const edgenn_mul_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);

#endif /* EDGENN_MUL_I16_H */
