#ifndef EDGENN_SQUARED_DIFFERENCE_H
#define EDGENN_SQUARED_DIFFERENCE_H

#include "edgenn.h"
#include "elementwise.h"

/* output = (input1 - input2)^2, broadcast as p->broadcast says (ADD's parameters: elementwise.h) */
void edgenn_squared_difference(const edgenn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

#endif /* EDGENN_SQUARED_DIFFERENCE_H */
