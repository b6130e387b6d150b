/* RESIZE_NEAREST_NEIGHBOR, int8 NHWC: twin of edgenn/reference/resize_nearest_neighbor.py. */
#include "resize_nearest_neighbor.h"

void edgenn_resize_nearest_neighbor(const edgenn_resize_nearest_neighbor_params *p, const int8_t *input,
                                    int8_t *output) {
    const edgenn_resize_geometry *g = &p->geometry;
    const int32_t row = g->in_w * g->depth;
    int32_t b;
    int32_t y;
    int32_t x;
    for (b = 0; b < g->batches; ++b) {
        const int8_t *image = input + b * g->in_h * row;
        for (y = 0; y < g->out_h; ++y) {
            const int8_t *src = image + g->rows[y] * row;
            for (x = 0; x < g->out_w; ++x) {
                edgenn_copy_bytes(output, src + g->cols[x] * g->depth, (size_t)g->depth);
                output += g->depth;
            }
        }
    }
}
