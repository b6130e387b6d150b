/* MIRROR_PAD, int8: twin of edgenn/reference/mirror_pad.py (TFLM's mirror_pad.cc copies codes). */
#include "mirror_pad.h"

#define RANK EDGENN_MIRROR_PAD_RANK

/* The input index that output index o of one dim reads (paddings checked at export). */
static int32_t source(int32_t o, int32_t before, int32_t size, int32_t offset) {
    if (o < before) {
        return before + offset - 1 - o;
    }
    o -= before;
    if (o >= size) {
        return 2 * size - 1 - offset - o;
    }
    return o;
}

void edgenn_mirror_pad(const edgenn_mirror_pad_params *p, const int8_t *input, int8_t *output) {
    int32_t out_dims[RANK];
    int32_t stride[RANK];
    int32_t idx[RANK] = {0, 0, 0, 0, 0};
    int32_t total = 1;
    int32_t i;
    int d;
    for (d = RANK - 1; d >= 0; --d) {
        out_dims[d] = p->before[d] + p->dims[d] + p->after[d];
        stride[d] = d == RANK - 1 ? 1 : stride[d + 1] * p->dims[d + 1];
        total *= out_dims[d];
    }
    for (i = 0; i < total; ++i) {
        int32_t from = 0;
        for (d = 0; d < RANK; ++d) {
            from += source(idx[d], p->before[d], p->dims[d], p->offset) * stride[d];
        }
        output[i] = input[from];
        for (d = RANK - 1; d >= 0; --d) {
            if (++idx[d] < out_dims[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}
