/* PAD, float32: twin of edgenn/reference/pad_f32.py. */
#include "pad_f32.h"

void edgenn_pad_f32(const edgenn_pad_params *p, const float *input, float *output) {
    edgenn_pad(p, (const int8_t *)(const void *)input, (int8_t *)(void *)output);
}
