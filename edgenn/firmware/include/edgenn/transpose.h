#ifndef EDGENN_TRANSPOSE_H
#define EDGENN_TRANSPOSE_H

#include "strided_copy.h"

/* TRANSPOSE, int8: the input codes copied along the walk edgenn/reference/transpose.py builds. */
void edgenn_transpose(const edgenn_strided_copy *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_TRANSPOSE_H */
