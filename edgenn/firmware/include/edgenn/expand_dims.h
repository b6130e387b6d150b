#ifndef EDGENN_EXPAND_DIMS_H
#define EDGENN_EXPAND_DIMS_H

#include "edgenn.h"

/* EXPAND_DIMS keeps the bytes and changes only the shape, which lives in the generated code: the
 * arena plan makes it a view, and this copy runs only where its input cannot be viewed. */
void edgenn_expand_dims(const void *input, void *output, size_t bytes);

#endif /* EDGENN_EXPAND_DIMS_H */
