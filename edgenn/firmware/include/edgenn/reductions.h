/*
 * What the reductions share. MEAN, SUM and REDUCE_MAX: the input seen as [outer, reduce0, middle,
 * reduce1, inner] (adjacent dimensions merged), one output row [inner] per (outer, middle).
 * ARG_MAX and ARG_MIN: the input seen as [outer, axis_size, inner], one int32 index written per
 * (outer, inner) position.
 */
#ifndef EDGENN_REDUCTIONS_H
#define EDGENN_REDUCTIONS_H

#include "edgenn.h"

typedef struct {
    int32_t outer;
    int32_t reduce0;
    int32_t middle;
    int32_t reduce1;
    int32_t inner;
} edgenn_reduce_layout;

/* One output row: x is the input at (o, 0, m, 0, 0), out the output row of (o, m). */
typedef void (*edgenn_reduce_row_fn)(const void *params, const int8_t *x, int8_t *out);

/* The distance between consecutive reduce0 positions in the input. */
EDGENN_INLINE int32_t edgenn_reduce0_step(const edgenn_reduce_layout *l) { return l->middle * l->reduce1 * l->inner; }

/* Calls row(params, ...) for each (outer, middle) output row, in order. */
EDGENN_INLINE void edgenn_reduce_rows(const edgenn_reduce_layout *l, const void *params, const int8_t *input,
                                      int8_t *output, edgenn_reduce_row_fn row) {
    const int32_t middle_step = l->reduce1 * l->inner;
    const int32_t outer_step = l->reduce0 * l->middle * middle_step;
    int32_t o;
    int32_t m;
    for (o = 0; o < l->outer; ++o) {
        for (m = 0; m < l->middle; ++m) {
            row(params, input + o * outer_step + m * middle_step, output + (o * l->middle + m) * l->inner);
        }
    }
}

typedef struct {
    int32_t outer;
    int32_t axis_size;
    int32_t inner;
} edgenn_arg_min_max_params;

/*
 * The first index along the axis of the largest code of (x ^ flip): flip 0 finds the first maximum,
 * flip -1 (~x, which reverses int8's order one to one) the first minimum, as TFLM's strict
 * comparison keeps the earliest of equal codes.
 */
EDGENN_INLINE void edgenn_arg_max_s8(const edgenn_arg_min_max_params *p, const int8_t *input, int32_t *output,
                                     int32_t flip) {
    int32_t o;
    for (o = 0; o < p->outer; ++o) {
        const int8_t *x = input + o * p->axis_size * p->inner;
        int32_t *out = output + o * p->inner;
        int32_t j;
        for (j = 0; j < p->inner; ++j) {
            int32_t best = (int32_t)x[j] ^ flip;
            int32_t index = 0;
            int32_t i;
            for (i = 1; i < p->axis_size; ++i) {
                const int32_t v = (int32_t)x[i * p->inner + j] ^ flip;
                if (v > best) {
                    best = v;
                    index = i;
                }
            }
            out[j] = index;
        }
    }
}

#endif /* EDGENN_REDUCTIONS_H */
