#ifndef EDGENN_ADD_I16_H
#define EDGENN_ADD_I16_H

#include "elementwise.h"

/* The int8 ADD's parameters (left_shift 15, int16 clamps); input and output may be the same. */
void edgenn_add_i16(const edgenn_add_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);

#endif /* EDGENN_ADD_I16_H */
