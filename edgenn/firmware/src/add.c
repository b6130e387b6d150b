/* ADD, int8: twin of edgenn/reference/add.py (TFLM's reference_integer_ops::Add and BroadcastAdd6DSlow). */
#include "add.h"

/* An input rescaled to the shared scale. With int8 zero points the shifted value fits int32; the
 * shift goes through uint32 so that other zero points wrap as TFLM's int32 arithmetic does, not UB. */
EDGENN_INLINE int32_t add_scaled(int8_t x, int32_t offset, int32_t left_shift, int32_t multiplier, int32_t shift) {
    return edgenn_requantize((int32_t)((uint32_t)((int32_t)x + offset) << left_shift), multiplier, shift);
}

EDGENN_INLINE int32_t add_wrap(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

EDGENN_INLINE int8_t add_output(const edgenn_add_params *p, int32_t sum) {
    return edgenn_clamp_int8(edgenn_requantize(sum, p->output_multiplier, p->output_shift) + p->output_offset,
                           p->act_min, p->act_max);
}

static void add_row(const void *params, const int8_t *in1, int32_t step1, const int8_t *in2, int32_t step2,
                    int8_t *out, int32_t n) {
    const edgenn_add_params *p = (const edgenn_add_params *)params;
    const int32_t ls = p->left_shift;
    int32_t k;
    if (step1 != 0 && step2 != 0) {
        for (k = 0; k < n; ++k) {
            const int32_t a = add_scaled(in1[k], p->input1_offset, ls, p->input1_multiplier, p->input1_shift);
            const int32_t b = add_scaled(in2[k], p->input2_offset, ls, p->input2_multiplier, p->input2_shift);
            out[k] = add_output(p, add_wrap(a, b));
        }
    } else if (step2 == 0) {
        /* a held operand is rescaled once per run: the same arithmetic, hoisted */
        const int32_t b = add_scaled(in2[0], p->input2_offset, ls, p->input2_multiplier, p->input2_shift);
        for (k = 0; k < n; ++k) {
            const int32_t a = add_scaled(in1[k], p->input1_offset, ls, p->input1_multiplier, p->input1_shift);
            out[k] = add_output(p, add_wrap(a, b));
        }
    } else {
        const int32_t a = add_scaled(in1[0], p->input1_offset, ls, p->input1_multiplier, p->input1_shift);
        for (k = 0; k < n; ++k) {
            const int32_t b = add_scaled(in2[k], p->input2_offset, ls, p->input2_multiplier, p->input2_shift);
            out[k] = add_output(p, add_wrap(a, b));
        }
    }
}

void edgenn_add(const edgenn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    edgenn_ew_binary(&p->broadcast, add_row, p, input1, input2, output);
}
