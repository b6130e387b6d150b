#ifndef EDGENN_UNPACK_H
#define EDGENN_UNPACK_H

#include "strided_copy.h"

/* UNPACK: one call per output, copying that output's piece of the input along the walk
 * edgenn/reference/unpack.py builds for it, in bytes (int8, int16 and float32 alike). */
void edgenn_unpack(const edgenn_strided_copy *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_UNPACK_H */
