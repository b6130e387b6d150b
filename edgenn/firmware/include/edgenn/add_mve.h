/* ADD, int8, on Helium (mve.h): returns 1 when it computed the layer. */
#ifndef EDGENN_ADD_MVE_H
#define EDGENN_ADD_MVE_H

#include "add.h"
#include "fc_mve_requantize.h"
#include "mve.h"

#if EDGENN_MVE
#include <arm_mve.h>

/* Four elements a step: both codes widened to word offsets, the two tables gathered, summed and
 * requantized in lanes; the last step is predicated. */
static int edgenn_add_table_mve(const edgenn_add_table_params *p, const int8_t *input1, const int8_t *input2,
                                int8_t *output) {
    const uint8_t *in1 = (const uint8_t *)input1;
    const uint8_t *in2 = (const uint8_t *)input2;
    const int32x4_t m = vdupq_n_s32(p->output_multiplier);
    const int32x4_t shift = vdupq_n_s32(p->output_shift);
    const int32x4_t lo = vdupq_n_s32(p->act_min);
    const int32x4_t hi = vdupq_n_s32(p->act_max);
    int32_t i;
    for (i = 0; i < p->size; i += 4) {
        const mve_pred16_t lanes = vctp32q((uint32_t)(p->size - i));
        const uint32x4_t c1 = vldrbq_z_u32(in1 + i, lanes);
        const uint32x4_t c2 = vldrbq_z_u32(in2 + i, lanes);
        int32x4_t v = vaddq_s32(vldrwq_gather_shifted_offset_z_s32(p->table1, c1, lanes),
                                vldrwq_gather_shifted_offset_z_s32(p->table2, c2, lanes));
        v = vaddq_n_s32(edgenn_mve_requantize(v, m, shift), p->output_offset);
        vstrbq_p_s32(output + i, vminq_s32(vmaxq_s32(v, lo), hi), lanes);
    }
    return 1;
}

/* An operand's four lanes rescaled to the shared scale, as edgenn_ew_rescale (the left shift wraps alike). */
static __inline__ int32x4_t edgenn_add_mve_rescale(int32x4_t x, int32_t offset, int32_t left_shift, int32x4_t m,
                                                   int32x4_t shift) {
    return edgenn_mve_requantize(vshlq_s32(vaddq_n_s32(x, offset), vdupq_n_s32(left_shift)), m, shift);
}

/* One edgenn_ew_row run of ADD (edgenn_ew_rescaled_row's arithmetic), four elements a step, the last
 * predicated. A held operand (step 0) is read once, before anything is written, as the scalar row
 * does. */
static void edgenn_add_row_mve(const edgenn_add_params *p, const int8_t *in1, int32_t step1, const int8_t *in2,
                               int32_t step2, int8_t *out, int32_t n) {
    const int32x4_t m1 = vdupq_n_s32(p->input1_multiplier);
    const int32x4_t s1 = vdupq_n_s32(p->input1_shift);
    const int32x4_t m2 = vdupq_n_s32(p->input2_multiplier);
    const int32x4_t s2 = vdupq_n_s32(p->input2_shift);
    const int32x4_t mo = vdupq_n_s32(p->output_multiplier);
    const int32x4_t so = vdupq_n_s32(p->output_shift);
    const int32x4_t lo = vdupq_n_s32(p->act_min);
    const int32x4_t hi = vdupq_n_s32(p->act_max);
    const int32x4_t held1 = edgenn_add_mve_rescale(vdupq_n_s32(in1[0]), p->input1_offset, p->left_shift, m1, s1);
    const int32x4_t held2 = edgenn_add_mve_rescale(vdupq_n_s32(in2[0]), p->input2_offset, p->left_shift, m2, s2);
    int32_t i;
    for (i = 0; i < n; i += 4) {
        const mve_pred16_t lanes = vctp32q((uint32_t)(n - i));
        const int32x4_t a = step1 != 0 ? edgenn_add_mve_rescale(vldrbq_z_s32(in1 + i, lanes), p->input1_offset,
                                                                p->left_shift, m1, s1)
                                       : held1;
        const int32x4_t b = step2 != 0 ? edgenn_add_mve_rescale(vldrbq_z_s32(in2 + i, lanes), p->input2_offset,
                                                                p->left_shift, m2, s2)
                                       : held2;
        const int32x4_t v = vaddq_n_s32(edgenn_mve_requantize(vaddq_s32(a, b), mo, so), p->output_offset);
        vstrbq_p_s32(out + i, vminq_s32(vmaxq_s32(v, lo), hi), lanes);
    }
}
#endif

#endif /* EDGENN_ADD_MVE_H */
