/* QUANTIZE to int8: twin of edgenn/reference/quantize.py (TFLM's AffineQuantize and Requantize). */
#include "quantize.h"

#ifndef EDGENN_FLOAT_TO_INT32_INDEFINITE
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#define EDGENN_FLOAT_TO_INT32_INDEFINITE 1
#else
#define EDGENN_FLOAT_TO_INT32_INDEFINITE 0
#endif
#endif

/* 2^23: from here on every float32 is a whole number; and 2^31, the int32 limit. */
#define TWO_POW_23 8388608.0f
#define TWO_POW_31 2147483648.0f

/* static_cast<int32_t>(std::round(q)), without libm and without undefined conversions. */
static int32_t round_to_int32(float q) {
    if (q > -TWO_POW_23 && q < TWO_POW_23) {
        /* Both conversions are exact here, and so is the subtraction: comparing the fraction
         * with one half rounds ties away from zero and never rounds 0.49999997 up, as adding
         * 0.5 would. */
        const int32_t t = (int32_t)q;
        const float frac = q - (float)t;
        return t + (frac >= 0.5f ? 1 : 0) - (frac <= -0.5f ? 1 : 0);
    }
    if (q >= -TWO_POW_31 && q < TWO_POW_31) {
        return (int32_t)q; /* already whole */
    }
#if EDGENN_FLOAT_TO_INT32_INDEFINITE
    return INT32_MIN;
#else
    if (q != q) {
        return 0;
    }
    return q > 0.0f ? INT32_MAX : INT32_MIN;
#endif
}

void edgenn_quantize(const edgenn_quantize_params *p, const float *input, int8_t *output) {
    const float scale = p->output_scale;
    const uint32_t zero_point = (uint32_t)p->output_zero_point;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t q = (int32_t)((uint32_t)round_to_int32(input[i] / scale) + zero_point);
        output[i] = edgenn_clamp_int8(q, INT8_MIN, INT8_MAX);
    }
}

void edgenn_quantize_int8(const edgenn_quantize_params *p, const int8_t *input, int8_t *output) {
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t q = edgenn_requantize((int32_t)input[i] - p->input_zero_point, p->multiplier, p->shift);
        output[i] = edgenn_clamp_int8(q + p->output_zero_point, INT8_MIN, INT8_MAX);
    }
}
