#ifndef EDGENN_SPACE_TO_DEPTH_H
#define EDGENN_SPACE_TO_DEPTH_H

#include "strided_copy.h"

/* SPACE_TO_DEPTH, int8: the input codes copied along the walk edgenn/reference/space_to_depth.py builds. */
void edgenn_space_to_depth(const edgenn_strided_copy *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_SPACE_TO_DEPTH_H */
