#ifndef EDGENN_RESIZE_NEAREST_NEIGHBOR_H
#define EDGENN_RESIZE_NEAREST_NEIGHBOR_H

#include "resize.h"

typedef struct {
    edgenn_resize_geometry geometry;
} edgenn_resize_nearest_neighbor_params;

void edgenn_resize_nearest_neighbor(const edgenn_resize_nearest_neighbor_params *p, const int8_t *input,
                                    int8_t *output);

#endif /* EDGENN_RESIZE_NEAREST_NEIGHBOR_H */
