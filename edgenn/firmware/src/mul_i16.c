/* MUL, int16x8: twin of edgenn/reference/mul_i16.py. */
#include "mul_i16.h"

#include "elementwise_i16.h"
#include "int16x8.h"

void edgenn_mul_i16(const edgenn_mul_params *p, const int16_t *input1, const int16_t *input2, int16_t *output) {
    edgenn_ew_cursor c;
    int32_t i;
    edgenn_ew_cursor_start(&c);
    for (i = 0; i < p->broadcast.size; ++i) {
        /* zero points are 0: the product of two int16 codes fits int32 */
        const int32_t product = (int32_t)input1[c.off1] * (int32_t)input2[c.off2];
        output[i] = edgenn_clamp_int16(edgenn_requantize(product, p->multiplier, p->shift) + p->output_offset,
                                       p->act_min, p->act_max);
        edgenn_ew_cursor_next(&p->broadcast, &c);
    }
}
