#ifndef EDGENN_DEQUANTIZE_H
#define EDGENN_DEQUANTIZE_H

#include "edgenn.h"

typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
    int32_t input_bytes; /* 1 for int8 codes, 2 for int16 */
} edgenn_dequantize_params;

/*
 * int8 or int16 -> float32: scale * (code - zero_point). TFLM multiplies in double and rounds to
 * float; while |code - zero_point| < 2^24 (export checks it) that product is exact in double, so one
 * correctly rounded float32 multiply gives the same float without double arithmetic.
 */
void edgenn_dequantize(const edgenn_dequantize_params *p, const void *input, float *output);

#endif /* EDGENN_DEQUANTIZE_H */
