#ifndef EDGENN_STRIDED_SLICE_H
#define EDGENN_STRIDED_SLICE_H

#include "strided_copy.h"

/* STRIDED_SLICE, int8: the input codes copied along the walk edgenn/reference/strided_slice.py builds. */
void edgenn_strided_slice(const edgenn_strided_copy *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_STRIDED_SLICE_H */
