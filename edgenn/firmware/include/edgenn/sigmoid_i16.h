/*
 * TFLite's int16 sigmoid and tanh (reference_integer_ops::Logistic and ::Tanh for int16): twins of
 * edgenn/reference/_lstm.py, shared by the integer LSTM's gates and the int16 LOGISTIC and TANH ops.
 * Both interpolate linearly in a 256-entry table of sigmoid(i / 24) in Q0.16 (handed over by export)
 * and return Q0.15.
 */
#ifndef EDGENN_SIGMOID_I16_H
#define EDGENN_SIGMOID_I16_H

#include "edgenn.h"

/* The int16 LOGISTIC and TANH ops' parameters. */
typedef struct {
    int32_t size;
    /* (input * multiplier + rounding) >> shift is the table's input, in steps of 1 / (3 * 4096). */
    int32_t multiplier;
    int32_t shift;
    const uint16_t *sigmoid_table; /* [256]: sigmoid(i / 24) in Q0.16 */
} edgenn_sigmoid_i16_params;

/* x brought to the table's input; |x * multiplier| stays below 2^30 (multiplier <= 32767). */
EDGENN_INLINE int32_t edgenn_sigmoid_i16_input(int32_t x, int32_t multiplier, int32_t shift) {
    const int32_t rounding = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    return (x * multiplier + rounding) >> shift;
}

/* Logistic: the table's steps are 2^9 input units apart. */
EDGENN_INLINE int32_t edgenn_sigmoid16(const uint16_t *table, int32_t x, int32_t multiplier, int32_t shift) {
    const int32_t v = edgenn_sigmoid_i16_input(x, multiplier, shift);
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t hi = a >> 9;
    uint32_t r;
    if (hi >= 255u) {
        r = 0x7FFFu << 10;
    } else {
        r = ((uint32_t)table[hi] << 9) + (a & 0x1FFu) * ((uint32_t)table[hi + 1u] - (uint32_t)table[hi]);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int32_t)(int16_t)(r >> 10);
}

/* Tanh = 2 sigmoid(2x) - 1: the same table, steps 2^8 input units apart. */
EDGENN_INLINE int32_t edgenn_tanh16(const uint16_t *table, int32_t x, int32_t multiplier, int32_t shift) {
    const int32_t v = edgenn_sigmoid_i16_input(x, multiplier, shift);
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t hi = a >> 8;
    int32_t r;
    if (hi >= 255u) {
        r = (int32_t)(0xFFFFu << 8);
    } else {
        r = (int32_t)(((uint32_t)table[hi] << 8) + (a & 0xFFu) * ((uint32_t)table[hi + 1u] - (uint32_t)table[hi]));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int32_t)(int16_t)(r >> 8);
}

#endif /* EDGENN_SIGMOID_I16_H */
