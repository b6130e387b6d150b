/* SVDF, int8 with an int8 or int16 state: twin of edgenn/reference/svdf.py (TFLM's EvalIntegerSvdfReference). */
#include "svdf.h"

/* v wrapped into int8 (wide == 0) or int16, as TFLM's int32 -> int8/int16 conversion does. */
static int32_t wrap(int32_t v, int32_t wide) {
    const uint32_t half = wide ? 0x8000u : 0x80u;
    return (int32_t)(((uint32_t)v + half) & (2u * half - 1u)) - (int32_t)half;
}

/* Element i of an int8 (wide == 0) or int16 array. */
static int32_t get(const void *data, int32_t wide, int32_t i) {
    return wide ? (int32_t)((const int16_t *)data)[i] : (int32_t)((const int8_t *)data)[i];
}

/* Store v (already in the type's range) into element i. */
static void set(void *data, int32_t wide, int32_t i, int32_t v) {
    if (wide) {
        ((int16_t *)data)[i] = (int16_t)v;
    } else {
        ((int8_t *)data)[i] = (int8_t)v;
    }
}

static void svdf(const edgenn_svdf_params *p, const int8_t *input, const int8_t *weights_feature,
                 const void *weights_time, const int32_t *bias, void *state, int8_t *output, int32_t wide) {
    const int32_t lowest = wide ? INT16_MIN : INT8_MIN;
    const int32_t highest = wide ? INT16_MAX : INT8_MAX;
    const int32_t per_batch = p->filters * p->memory;
    const int32_t units = p->filters / p->rank;
    int32_t b;
    int32_t i;
    int32_t j;
    /* Shift every filter's memory one place left (one flat shift, as TFLM; the last place of each
     * filter is rewritten below). The stored form (value - state_reset) shifts like the value. */
    for (i = 0; i + 1 < p->batches * per_batch; ++i) {
        set(state, wide, i, get(state, wide, i + 1));
    }
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * p->input_size;
        const int32_t base = b * per_batch;
        /* The newest activation of each filter. */
        for (i = 0; i < p->filters; ++i) {
            const int8_t *w = weights_feature + i * p->input_size;
            uint32_t acc = 0u; /* wraps like TFLM's int32 sum */
            int32_t dot;
            for (j = 0; j < p->input_size; ++j) {
                acc += (uint32_t)((int32_t)w[j] * ((int32_t)x[j] - p->input_zero_point));
            }
            dot = edgenn_requantize((int32_t)acc, p->feature_multiplier, p->feature_shift);
            dot = dot < lowest ? lowest : (dot > highest ? highest : dot);
            /* TFLM stores zero point + dot (wrapping); keep that minus state_reset. */
            set(state, wide, base + i * p->memory + p->memory - 1,
                wrap(dot + p->state_zero_point - p->state_reset, wide));
        }
        /* Each unit: bias plus its rank filters' memory . time weights, all wrapping in int32. The
         * filters of a unit are consecutive, so their memories and time weights are one run. */
        for (i = 0; i < units; ++i) {
            const int32_t first = i * p->rank * p->memory;
            uint32_t acc = (uint32_t)bias[i];
            int32_t y;
            for (j = first; j < first + p->rank * p->memory; ++j) {
                /* The value TFLM holds (stored + state_reset, wrapped) minus its zero point. */
                const int32_t centered = wrap(get(state, wide, base + j) + p->state_reset, wide) - p->state_zero_point;
                acc += (uint32_t)(get(weights_time, wide, j) * centered);
            }
            y = edgenn_requantize((int32_t)acc, p->output_multiplier, p->output_shift) + p->output_zero_point;
            output[b * units + i] = edgenn_clamp_int8(y, INT8_MIN, INT8_MAX);
        }
    }
}

void edgenn_svdf(const edgenn_svdf_params *p, const int8_t *input, const int8_t *weights_feature,
                 const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output) {
    svdf(p, input, weights_feature, weights_time, bias, state, output, 0);
}

void edgenn_svdf_int16_state(const edgenn_svdf_params *p, const int8_t *input, const int8_t *weights_feature,
                             const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output) {
    svdf(p, input, weights_feature, weights_time, bias, state, output, 1);
}
