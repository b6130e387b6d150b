#ifndef EDGENN_SQUEEZE_H
#define EDGENN_SQUEEZE_H

#include "edgenn.h"

/* SQUEEZE keeps the bytes and changes only the shape, which lives in the generated code. */
void edgenn_squeeze(const void *input, void *output, size_t bytes);

#endif /* EDGENN_SQUEEZE_H */
