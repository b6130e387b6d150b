/* GATHER, int8: twin of edgenn/reference/gather.py (TFLM's gather.cc). */
#include "gather.h"

void edgenn_gather(const edgenn_gather_params *p, const int8_t *input, const int32_t *indices, int8_t *output) {
    const int32_t n = p->inner;
    int32_t b, o, c, k;
    for (b = 0; b < p->batch; ++b) {
        const int32_t *idx = indices + b * p->coord_size;
        for (o = 0; o < p->outer; ++o) {
            const int8_t *src = input + (b * p->outer + o) * p->axis_size * n;
            for (c = 0; c < p->coord_size; ++c) {
                const int32_t at = idx[c];
                if (at >= 0 && at < p->axis_size) {
                    edgenn_copy_bytes(output, src + at * n, (size_t)n);
                } else {
                    for (k = 0; k < n; ++k) {
                        output[k] = 0;
                    }
                }
                output += n;
            }
        }
    }
}
