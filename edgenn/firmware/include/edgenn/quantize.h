#ifndef EDGENN_QUANTIZE_H
#define EDGENN_QUANTIZE_H

#include "edgenn.h"

typedef struct {
    int32_t size;
    float output_scale; /* float32, as TFLM divides by it */
    int32_t output_zero_point;
    /* integer input only: input_scale / output_scale */
    int32_t input_zero_point;
    int32_t multiplier;
    int32_t shift;
    int32_t input_bytes;  /* integer input: 1, 2 or 4 for int8, int16, int32 */
    int32_t output_bytes; /* 1, 2 or 4 for int8, int16, int32 */
} edgenn_quantize_params;

/*
 * float32 -> int8 or int16: round(x / output_scale) + output_zero_point, saturated to the output
 * type, with the same float32 division and half-away-from-zero rounding as TFLM.
 *
 * Quotients outside int32, infinities and NaN convert as TFLM's own build does on the compiling
 * target, since C leaves that conversion undefined: x86 gives INT32_MIN (its "integer indefinite"),
 * other targets (Arm's VCVT) saturate and map NaN to 0. Define EDGENN_FLOAT_TO_INT32_INDEFINITE to 1
 * or 0 to choose. The zero point is then added with int32 wrap-around, as TFLM does, before saturating.
 */
void edgenn_quantize(const edgenn_quantize_params *p, const float *input, void *output);

/* Integer -> integer with new quantization (any of int8, int16, int32 each side): TFLM's Requantize. */
void edgenn_quantize_integer(const edgenn_quantize_params *p, const void *input, void *output);

#endif /* EDGENN_QUANTIZE_H */
