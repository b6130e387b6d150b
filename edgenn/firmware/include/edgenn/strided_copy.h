/*
 * Shared by TRANSPOSE, SLICE, STRIDED_SLICE, DEPTH_TO_SPACE and SPACE_TO_DEPTH, and by SPLIT,
 * SPLIT_V and UNPACK once per output: each writes its output in order, every output dimension
 * stepping through the input by a fixed number of elements (bytes, for SPLIT's wider types). The
 * walk comes from edgenn/reference/_strided_copy.py, computed at export time.
 */
#ifndef EDGENN_STRIDED_COPY_H
#define EDGENN_STRIDED_COPY_H

#include "edgenn.h"

#define EDGENN_STRIDED_COPY_RANK 5

typedef struct {
    int32_t count[EDGENN_STRIDED_COPY_RANK];  /* output dims, innermost last, left-filled with 1 */
    int32_t stride[EDGENN_STRIDED_COPY_RANK]; /* input elements between neighbours along each dim (may be < 0) */
    int32_t start;                            /* the input element that output element 0 reads */
} edgenn_strided_copy;

EDGENN_INLINE void edgenn_strided_copy_run(const edgenn_strided_copy *w, const int8_t *input, int8_t *output) {
    const int32_t n = w->count[4];
    const int32_t step = w->stride[4];
    int32_t i0, i1, i2, i3, k;
    for (i0 = 0; i0 < w->count[0]; ++i0) {
        const int8_t *p0 = input + w->start + i0 * w->stride[0];
        for (i1 = 0; i1 < w->count[1]; ++i1) {
            const int8_t *p1 = p0 + i1 * w->stride[1];
            for (i2 = 0; i2 < w->count[2]; ++i2) {
                const int8_t *p2 = p1 + i2 * w->stride[2];
                for (i3 = 0; i3 < w->count[3]; ++i3) {
                    const int8_t *p3 = p2 + i3 * w->stride[3];
                    if (step == 1) {
                        edgenn_copy_bytes(output, p3, (size_t)n);
                    } else {
                        for (k = 0; k < n; ++k) {
                            output[k] = p3[k * step];
                        }
                    }
                    output += n;
                }
            }
        }
    }
}

#endif /* EDGENN_STRIDED_COPY_H */
