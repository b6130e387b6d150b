/* DEQUANTIZE, int8 or int16 to float32: twin of edgenn/reference/dequantize.py (TFLM's Dequantize). */
#include "dequantize.h"

void edgenn_dequantize(const edgenn_dequantize_params *p, const void *input, float *output) {
    const float scale = p->scale;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t code =
            p->input_bytes == 2 ? (int32_t)((const int16_t *)input)[i] : (int32_t)((const int8_t *)input)[i];
        output[i] = scale * (float)(code - p->zero_point);
    }
}
