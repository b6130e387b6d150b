/* QUANTIZE: twin of edgenn/reference/quantize.py (TFLM's AffineQuantize and Requantize). */
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

/* An integer element of 1, 2 or 4 bytes. */
static int32_t load(const void *data, int32_t bytes, int32_t i) {
    if (bytes == 1) {
        return ((const int8_t *)data)[i];
    }
    if (bytes == 2) {
        return ((const int16_t *)data)[i];
    }
    return ((const int32_t *)data)[i];
}

/* Saturate q to an integer element of 1, 2 or 4 bytes and store it. */
static void store(void *data, int32_t bytes, int32_t i, int32_t q) {
    if (bytes == 1) {
        ((int8_t *)data)[i] = (int8_t)(q < INT8_MIN ? INT8_MIN : (q > INT8_MAX ? INT8_MAX : q));
    } else if (bytes == 2) {
        ((int16_t *)data)[i] = (int16_t)(q < INT16_MIN ? INT16_MIN : (q > INT16_MAX ? INT16_MAX : q));
    } else {
        ((int32_t *)data)[i] = q;
    }
}

void edgenn_quantize(const edgenn_quantize_params *p, const float *input, void *output) {
    const float scale = p->output_scale;
    const uint32_t zero_point = (uint32_t)p->output_zero_point;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        store(output, p->output_bytes, i, (int32_t)((uint32_t)round_to_int32(input[i] / scale) + zero_point));
    }
}

/* Elements are read and written in order, each read before its own write: the output may be the
 * input when both have the same type. */
void edgenn_quantize_integer(const edgenn_quantize_params *p, const void *input, void *output) {
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        /* Subtraction and addition wrap like TFLM's int32 arithmetic (only int32 data gets there). */
        const int32_t x = (int32_t)((uint32_t)load(input, p->input_bytes, i) - (uint32_t)p->input_zero_point);
        const int32_t q = edgenn_requantize(x, p->multiplier, p->shift);
        store(output, p->output_bytes, i, (int32_t)((uint32_t)q + (uint32_t)p->output_zero_point));
    }
}
