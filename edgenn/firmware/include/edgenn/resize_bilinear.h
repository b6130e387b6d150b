#ifndef EDGENN_RESIZE_BILINEAR_H
#define EDGENN_RESIZE_BILINEAR_H

#include "resize.h"

typedef struct {
    edgenn_resize_geometry geometry;
} edgenn_resize_bilinear_params;

void edgenn_resize_bilinear(const edgenn_resize_bilinear_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_RESIZE_BILINEAR_H */
