/* SOFTMAX, float32: twin of edgenn/reference/softmax_f32.py. */
#include "softmax_f32.h"

#include <float.h>
#include <math.h>

void edgenn_softmax_f32(const edgenn_softmax_f32_params *p, const float *input, float *output) {
    int32_t r;
    int32_t c;
    for (r = 0; r < p->rows; ++r) {
        const float *x = input + r * p->depth;
        float *y = output + r * p->depth;
        float top = -FLT_MAX;
        float sum = 0.0f;
        for (c = 0; c < p->depth; ++c) {
            top = top < x[c] ? x[c] : top;
        }
        /* each exp is kept in the output (which may be the input's bytes: read before written) */
        for (c = 0; c < p->depth; ++c) {
            y[c] = expf((x[c] - top) * p->beta);
            sum += y[c];
        }
        for (c = 0; c < p->depth; ++c) {
            y[c] = y[c] / sum;
        }
    }
}
