/* DEQUANTIZE, int8 to float32: twin of edgenn/reference/dequantize.py (TFLM's reference_ops::Dequantize). */
#include "dequantize.h"

void edgenn_dequantize(const edgenn_dequantize_params *p, const int8_t *input, float *output) {
    const float scale = p->scale;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = scale * (float)((int32_t)input[i] - p->zero_point);
    }
}
