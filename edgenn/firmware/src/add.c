/* ADD, int8: twin of edgenn/reference/add.py (TFLM's reference_integer_ops::Add and BroadcastAdd6DSlow). */
#include "add.h"
#include "add_mve.h"

#include "conv_common.h"

static void add_row(const void *params, const int8_t *in1, int32_t step1, const int8_t *in2, int32_t step2,
                    int8_t *out, int32_t n) {
#if EDGENN_MVE
    edgenn_add_row_mve((const edgenn_add_params *)params, in1, step1, in2, step2, out, n);
#else
    edgenn_ew_rescaled_row((const edgenn_add_params *)params, in1, step1, in2, step2, out, n, EDGENN_EW_ADD);
#endif
}

void edgenn_add(const edgenn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    edgenn_ew_binary(&p->broadcast, add_row, p, input1, input2, output);
}

void edgenn_add_table(const edgenn_add_table_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    const uint8_t *in1 = (const uint8_t *)input1;
    const uint8_t *in2 = (const uint8_t *)input2;
    const int32_t *t1 = p->table1;
    const int32_t *t2 = p->table2;
    const int32_t n = p->size;
    const int32_t m = p->output_multiplier;
    const int32_t lo = p->act_min;
    const int32_t hi = p->act_max;
    int32_t i;
#if EDGENN_MVE
    if (edgenn_add_table_mve(p, input1, input2, output)) {
        return;
    }
#endif
    /* Each element is read before it is written, so the output may overwrite either input. */
    if (p->rq_k != 0 && hi == 127) {
        /* no upper clamp but int8's own (no activation, RELU): the saturating halving does it */
        const int32_t k = p->rq_k;
        const int32_t s = -p->output_shift - 1;
        for (i = 0; i < n; ++i) {
            const int8_t v = edgenn_conv_rq_sat8(t1[in1[i]] + t2[in2[i]], m, s, k);
            output[i] = v < lo ? (int8_t)lo : v;
        }
    } else if (p->rq_k != 0) {
        const int32_t k = p->rq_k;
        const int32_t s = -p->output_shift - 1;
        for (i = 0; i < n; ++i) {
            output[i] = edgenn_clamp_int8(edgenn_conv_rq(t1[in1[i]] + t2[in2[i]], m, s, k), lo, hi);
        }
    } else {
        const int32_t s = p->output_shift;
        const int32_t off = p->output_offset;
        for (i = 0; i < n; ++i) {
            output[i] = edgenn_conv_output(t1[in1[i]] + t2[in2[i]], m, s, off, lo, hi);
        }
    }
}
