#ifndef EDGENN_SPLIT_H
#define EDGENN_SPLIT_H

#include "strided_copy.h"

/* SPLIT: one call per output, copying that output's piece of the input along the walk
 * edgenn/reference/split.py builds for it, in bytes (int8, int16 and float32 alike). */
void edgenn_split(const edgenn_strided_copy *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_SPLIT_H */
