#ifndef EDGENN_SLICE_H
#define EDGENN_SLICE_H

#include "strided_copy.h"

/* SLICE, int8: the input codes copied along the walk edgenn/reference/slice.py builds. */
void edgenn_slice(const edgenn_strided_copy *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_SLICE_H */
