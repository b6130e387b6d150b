/* PAD, int8: twin of edgenn/reference/pad.py (TFLM's reference_ops::Pad with the output zero point). */
#include "pad.h"

#define LAST (EDGENN_PAD_RANK - 1)

static void fill(int8_t *out, int8_t value, int32_t n) {
    int32_t k;
    for (k = 0; k < n; ++k) {
        out[k] = value;
    }
}

void edgenn_pad(const edgenn_pad_params *p, const int8_t *input, int8_t *output) {
    const int8_t value = (int8_t)p->pad_value;
    const int32_t width = p->dims[LAST];
    const int32_t row = p->before[LAST] + width + p->after[LAST];
    int32_t out_dims[LAST];
    int32_t idx[LAST] = {0, 0, 0, 0};
    int32_t rows = 1;
    int32_t r;
    int d;
    for (d = 0; d < LAST; ++d) {
        out_dims[d] = p->before[d] + p->dims[d] + p->after[d];
        rows *= out_dims[d];
    }
    /* Output rows in order; the rows inside the input's region visit the input rows in order too. */
    for (r = 0; r < rows; ++r) {
        int inside = 1;
        for (d = 0; d < LAST; ++d) {
            if (idx[d] < p->before[d] || idx[d] >= p->before[d] + p->dims[d]) {
                inside = 0;
            }
        }
        if (inside) {
            fill(output, value, p->before[LAST]);
            edgenn_copy_bytes(output + p->before[LAST], input, (size_t)width);
            fill(output + p->before[LAST] + width, value, p->after[LAST]);
            input += width;
        } else {
            fill(output, value, row);
        }
        output += row;
        for (d = LAST - 1; d >= 0; --d) {
            if (++idx[d] < out_dims[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}
