/* MUL, int8: twin of edgenn/reference/mul.py (TFLM's reference_integer_ops::Mul and BroadcastMul6DSlow). */
#include "mul.h"

/* With int8 zero points the product is at most 255 * 255 in magnitude; it goes through uint32 so
 * that other zero points wrap as TFLM's int32 arithmetic does, not UB. */
EDGENN_INLINE int8_t mul_output(const edgenn_mul_params *p, int32_t a, int32_t b) {
    return edgenn_clamp_int8(edgenn_requantize((int32_t)((uint32_t)a * (uint32_t)b), p->multiplier, p->shift) + p->output_offset, p->act_min,
                           p->act_max);
}

static void mul_row(const void *params, const int8_t *in1, int32_t step1, const int8_t *in2, int32_t step2,
                    int8_t *out, int32_t n) {
    const edgenn_mul_params *p = (const edgenn_mul_params *)params;
    int32_t k;
    if (step1 != 0 && step2 != 0) {
        for (k = 0; k < n; ++k) {
            out[k] = mul_output(p, (int32_t)in1[k] + p->input1_offset, (int32_t)in2[k] + p->input2_offset);
        }
    } else if (step2 == 0) {
        const int32_t b = (int32_t)in2[0] + p->input2_offset;
        for (k = 0; k < n; ++k) {
            out[k] = mul_output(p, (int32_t)in1[k] + p->input1_offset, b);
        }
    } else {
        const int32_t a = (int32_t)in1[0] + p->input1_offset;
        for (k = 0; k < n; ++k) {
            out[k] = mul_output(p, a, (int32_t)in2[k] + p->input2_offset);
        }
    }
}

void edgenn_mul(const edgenn_mul_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    edgenn_ew_binary(&p->broadcast, mul_row, p, input1, input2, output);
}
