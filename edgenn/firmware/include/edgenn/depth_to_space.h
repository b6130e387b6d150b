#ifndef EDGENN_DEPTH_TO_SPACE_H
#define EDGENN_DEPTH_TO_SPACE_H

#include "strided_copy.h"

/* DEPTH_TO_SPACE, int8: the input codes copied along the walk edgenn/reference/depth_to_space.py builds. */
void edgenn_depth_to_space(const edgenn_strided_copy *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_DEPTH_TO_SPACE_H */
