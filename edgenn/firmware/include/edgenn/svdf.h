#ifndef EDGENN_SVDF_H
#define EDGENN_SVDF_H

#include "edgenn.h"

typedef struct {
    int32_t batches;
    int32_t input_size;
    int32_t filters; /* rank * units */
    int32_t rank;
    int32_t memory; /* past activations each filter keeps */
    int32_t input_zero_point;
    int32_t state_zero_point;
    /* What TFLM fills the state with when it starts (the zero point for int8, 0 for int16). The
     * kernel keeps each state value minus this, wrapped, so a zeroed arena is TFLM's fresh state. */
    int32_t state_reset;
    int32_t output_zero_point;
    /* input scale * feature weights scale / state scale */
    int32_t feature_multiplier;
    int32_t feature_shift;
    /* state scale * time weights scale / output scale */
    int32_t output_multiplier;
    int32_t output_shift;
} edgenn_svdf_params;

/*
 * One SVDF step, TFLM's integer reference: shift each filter's past activations one place, append
 * input x feature weights (rescaled and saturated to the state type), dot each filter's memory with
 * its time weights, add the bias to the sum of `rank` filters per unit and rescale to int8. No fused
 * activation is applied (TFLM's integer path applies none). The state persists between calls and
 * must start zeroed; the int8 and int16 variants differ only in the state and time weights type.
 */
void edgenn_svdf(const edgenn_svdf_params *p, const int8_t *input, const int8_t *weights_feature,
                 const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output);

void edgenn_svdf_int16_state(const edgenn_svdf_params *p, const int8_t *input, const int8_t *weights_feature,
                             const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output);

#endif /* EDGENN_SVDF_H */
