#ifndef EDGENN_ADD_H
#define EDGENN_ADD_H

#include "edgenn.h"
#include "elementwise.h"

/* output = input1 + input2, broadcast as p->broadcast says (edgenn_add_params, which SUB and
 * SQUARED_DIFFERENCE share, is in elementwise.h) */
void edgenn_add(const edgenn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

#endif /* EDGENN_ADD_H */
