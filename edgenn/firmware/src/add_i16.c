/* ADD, int16x8: twin of edgenn/reference/add_i16.py. */
#include "add_i16.h"

#include "elementwise_i16.h"
#include "int16x8.h"

static int32_t rescale(int16_t x, int32_t offset, int32_t left_shift, int32_t multiplier, int32_t shift) {
    return edgenn_requantize((int32_t)((uint32_t)((int32_t)x + offset) << left_shift), multiplier, shift);
}

void edgenn_add_i16(const edgenn_add_params *p, const int16_t *input1, const int16_t *input2, int16_t *output) {
    edgenn_ew_cursor c;
    int32_t i;
    edgenn_ew_cursor_start(&c);
    for (i = 0; i < p->broadcast.size; ++i) {
        const int32_t a =
            rescale(input1[c.off1], p->input1_offset, p->left_shift, p->input1_multiplier, p->input1_shift);
        const int32_t b =
            rescale(input2[c.off2], p->input2_offset, p->left_shift, p->input2_multiplier, p->input2_shift);
        const int32_t sum = (int32_t)((uint32_t)a + (uint32_t)b);
        output[i] = edgenn_clamp_int16(edgenn_requantize(sum, p->output_multiplier, p->output_shift) + p->output_offset,
                                       p->act_min, p->act_max);
        edgenn_ew_cursor_next(&p->broadcast, &c);
    }
}
