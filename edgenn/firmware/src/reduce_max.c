/* REDUCE_MAX, int8: twin of edgenn/reference/reduce_max.py. */
#include "reduce_max.h"

/* One output row is the running maximum: it never overlaps the input. */
static void reduce_max_row(const void *params, const int8_t *x, int8_t *out) {
    const edgenn_reduce_layout *l = &((const edgenn_reduce_max_params *)params)->layout;
    const int32_t row_step = edgenn_reduce0_step(l);
    int32_t a;
    int32_t b;
    int32_t j;
    for (j = 0; j < l->inner; ++j) {
        out[j] = INT8_MIN;
    }
    for (a = 0; a < l->reduce0; ++a) {
        for (b = 0; b < l->reduce1; ++b) {
            const int8_t *xb = x + a * row_step + b * l->inner;
            for (j = 0; j < l->inner; ++j) {
                out[j] = xb[j] > out[j] ? xb[j] : out[j];
            }
        }
    }
}

void edgenn_reduce_max(const edgenn_reduce_max_params *p, const int8_t *input, int8_t *output) {
    edgenn_reduce_rows(&p->layout, p, input, output, reduce_max_row);
}
