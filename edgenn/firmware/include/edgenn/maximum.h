#ifndef EDGENN_MAXIMUM_H
#define EDGENN_MAXIMUM_H

#include "edgenn.h"
#include "elementwise.h"

/* The inputs and the output share one quantization (checked at export): the codes are compared. */
typedef struct {
    edgenn_ew_broadcast broadcast;
} edgenn_maximum_params;

void edgenn_maximum(const edgenn_maximum_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

#endif /* EDGENN_MAXIMUM_H */
