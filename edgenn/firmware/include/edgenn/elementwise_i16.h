/*
 * The broadcast walk of the int16 elementwise kernels: the general plan of elementwise.h (export
 * writes every int16 broadcast in that form, edgenn/reference/_int16.py general_walk), one output
 * element at a time.
 */
#ifndef EDGENN_ELEMENTWISE_I16_H
#define EDGENN_ELEMENTWISE_I16_H

#include "elementwise.h"

typedef struct {
    int32_t idx[EDGENN_EW_RANK];
    int32_t off1; /* element offsets of the current operands */
    int32_t off2;
} edgenn_ew_cursor;

EDGENN_INLINE void edgenn_ew_cursor_start(edgenn_ew_cursor *c) {
    int d;
    for (d = 0; d < EDGENN_EW_RANK; ++d) {
        c->idx[d] = 0;
    }
    c->off1 = 0;
    c->off2 = 0;
}

/* Move to the next output element, innermost dim first. */
EDGENN_INLINE void edgenn_ew_cursor_next(const edgenn_ew_broadcast *b, edgenn_ew_cursor *c) {
    int d;
    for (d = EDGENN_EW_RANK - 1; d >= 0; --d) {
        c->off1 += b->stride1[d];
        c->off2 += b->stride2[d];
        if (++c->idx[d] < b->dims[d]) {
            return;
        }
        c->off1 -= b->stride1[d] * b->dims[d];
        c->off2 -= b->stride2[d] * b->dims[d];
        c->idx[d] = 0;
    }
}

#endif /* EDGENN_ELEMENTWISE_I16_H */
