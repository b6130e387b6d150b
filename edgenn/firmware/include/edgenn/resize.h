/*
 * What RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR share: NHWC shapes and two export-time tables,
 * one entry per output row and per output column (edgenn/reference/_resize.py).
 */
#ifndef EDGENN_RESIZE_H
#define EDGENN_RESIZE_H

#include "edgenn.h"

typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t depth;
    int32_t out_h;
    int32_t out_w;
    /* Bilinear: three int32 per entry (lower index, upper index, fraction in 1/1024, maybe negative).
       Nearest: one int32 per entry, the source index. */
    const int32_t *rows;
    const int32_t *cols;
} edgenn_resize_geometry;

#endif /* EDGENN_RESIZE_H */
