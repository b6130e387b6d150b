#ifndef EDGENN_RESHAPE_H
#define EDGENN_RESHAPE_H

#include "edgenn.h"

/* RESHAPE keeps the bytes and changes only the shape, which lives in the generated code. */
void edgenn_reshape(const void *input, void *output, size_t bytes);

#endif /* EDGENN_RESHAPE_H */
