#ifndef EDGENN_SUB_H
#define EDGENN_SUB_H

#include "edgenn.h"
#include "elementwise.h"

/* output = input1 - input2, broadcast as p->broadcast says (ADD's parameters: elementwise.h) */
void edgenn_sub(const edgenn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

#endif /* EDGENN_SUB_H */
