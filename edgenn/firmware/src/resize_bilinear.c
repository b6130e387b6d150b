/* RESIZE_BILINEAR, int8 NHWC: twin of edgenn/reference/resize_bilinear.py (TFLM's ResizeBilinearInteger). */
#include "resize_bilinear.h"

#define ONE 1024
#define HALF (1 << 19)

void edgenn_resize_bilinear(const edgenn_resize_bilinear_params *p, const int8_t *input, int8_t *output) {
    const edgenn_resize_geometry *g = &p->geometry;
    const int32_t row = g->in_w * g->depth;
    int32_t b;
    int32_t y;
    int32_t x;
    int32_t c;
    for (b = 0; b < g->batches; ++b) {
        const int8_t *image = input + b * g->in_h * row;
        for (y = 0; y < g->out_h; ++y) {
            const int8_t *r0 = image + g->rows[3 * y] * row;
            const int8_t *r1 = image + g->rows[3 * y + 1] * row;
            const int32_t wy1 = g->rows[3 * y + 2];
            const int32_t wy0 = ONE - wy1;
            for (x = 0; x < g->out_w; ++x) {
                const int32_t c0 = g->cols[3 * x] * g->depth;
                const int32_t c1 = g->cols[3 * x + 1] * g->depth;
                const int32_t wx1 = g->cols[3 * x + 2];
                const int32_t wx0 = ONE - wx1;
                for (c = 0; c < g->depth; ++c) {
                    /* |sum| <= 128 * (1024 + 512)^2 < 2^31: int32 holds TFLM's int64 sum. */
                    const int32_t top = r0[c0 + c] * wx0 + r0[c1 + c] * wx1;
                    const int32_t bottom = r1[c0 + c] * wx0 + r1[c1 + c] * wx1;
                    const int32_t acc = top * wy0 + bottom * wy1;
                    *output++ = (int8_t)((acc + (acc > 0 ? HALF : -HALF)) / (1 << 20));
                }
            }
        }
    }
}
