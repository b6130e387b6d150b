/* PRELU, int8: twin of edgenn/reference/prelu.py (TFLM's BroadcastPrelu4DSlow). */
#include "prelu.h"

/* With int8 zero points the product is at most 255 * 255 in magnitude (the model reader checks). */
EDGENN_INLINE int8_t prelu_output(const edgenn_prelu_params *p, int8_t x, int8_t a) {
    const int32_t v = (int32_t)x + p->input_offset;
    int32_t y;
    if (v >= 0) {
        y = edgenn_requantize(v, p->identity_multiplier, p->identity_shift);
    } else {
        y = edgenn_requantize(v * ((int32_t)a + p->alpha_offset), p->alpha_multiplier, p->alpha_shift);
    }
    return edgenn_clamp_int8(y + p->output_offset, -128, 127);
}

static void prelu_row(const void *params, const int8_t *in1, int32_t step1, const int8_t *in2, int32_t step2,
                      int8_t *out, int32_t n) {
    const edgenn_prelu_params *p = (const edgenn_prelu_params *)params;
    int32_t k;
    for (k = 0; k < n; ++k) {
        out[k] = prelu_output(p, in1[k * step1], in2[k * step2]);
    }
}

void edgenn_prelu(const edgenn_prelu_params *p, const int8_t *input, const int8_t *alpha, int8_t *output) {
    edgenn_ew_binary(&p->broadcast, prelu_row, p, input, alpha, output);
}
