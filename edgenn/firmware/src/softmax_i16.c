/* SOFTMAX, int16x8: twin of edgenn/reference/softmax_i16.py. */
#include "softmax_i16.h"

#include "int16x8.h"

/* TFLM's LUTLookup: the entry the top 9 bits pick, plus the slope to the next times the low 7 bits. */
static int16_t lut_lookup(int16_t value, const int16_t *lut) {
    const int32_t index = 256 + (value >> 7);
    const int32_t offset = value & 0x7f;
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    return (int16_t)(lut[index] + ((slope * offset + 64) >> 7));
}

static int16_t saturate_int16(int32_t v) {
    return edgenn_clamp_int16(v, INT16_MIN, INT16_MAX);
}

static int32_t leading_zeros(uint32_t v) {
    int32_t n = 0;
    while (n < 32 && !(v & 0x80000000u)) {
        v <<= 1;
        ++n;
    }
    return n;
}

void edgenn_softmax_i16(const edgenn_softmax_i16_params *p, const int16_t *input, int16_t *output) {
    int32_t r;
    int32_t c;
    for (r = 0; r < p->rows; ++r) {
        const int16_t *x = input + r * p->depth;
        int16_t *y = output + r * p->depth;
        int16_t max = INT16_MIN;
        int32_t sum = 0;
        int32_t headroom;
        int32_t shifted;
        int16_t reciprocal;
        int32_t right;
        for (c = 0; c < p->depth; ++c) {
            max = x[c] > max ? x[c] : max;
        }
        /* The exps go into the output (each read of x[c] comes before the write of y[c]). */
        for (c = 0; c < p->depth; ++c) {
            const int32_t scaled = edgenn_requantize((int32_t)x[c] - max, p->input_multiplier, p->input_shift);
            y[c] = lut_lookup(saturate_int16(scaled + 32767), p->exp_lut);
            sum += y[c];
        }
        headroom = leading_zeros((uint32_t)sum);
        shifted = (int32_t)((((int64_t)sum << (headroom - 1)) + (1 << 13)) >> 14);
        reciprocal = lut_lookup(saturate_int16(shifted - (1 << 15) - (1 << 16)), p->reciprocal_lut);
        right = 31 - headroom;
        for (c = 0; c < p->depth; ++c) {
            const int64_t v = ((int64_t)y[c] * reciprocal + ((int64_t)1 << (right - 1))) >> right;
            y[c] = (int16_t)(v < 0 ? 0 : (v > INT16_MAX ? INT16_MAX : v));
        }
    }
}
