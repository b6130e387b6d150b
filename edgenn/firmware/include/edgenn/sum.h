#ifndef EDGENN_SUM_H
#define EDGENN_SUM_H

#include "edgenn.h"
#include "mean.h"

/*
 * SUM is MEAN's loop with the plain input/output rescale: the parameters are MEAN's, with
 * multiplier and shift from input_scale / output_scale alone (no 1 / count folded in).
 */
void edgenn_sum(const edgenn_mean_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_SUM_H */
