#ifndef EDGENN_BROADCAST_TO_H
#define EDGENN_BROADCAST_TO_H

#include "strided_copy.h"

/* BROADCAST_TO, int8: the input codes copied along the walk edgenn/reference/broadcast_to.py builds
 * (stride 0 along the dimensions the input repeats). */
void edgenn_broadcast_to(const edgenn_strided_copy *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_BROADCAST_TO_H */
