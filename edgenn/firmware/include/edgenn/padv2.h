#ifndef EDGENN_PADV2_H
#define EDGENN_PADV2_H

#include "pad.h"

/* PADV2 is PAD with the pad value taken from a constant input: the same parameters and kernel. */
void edgenn_padv2(const edgenn_pad_params *p, const int8_t *input, int8_t *output);

#endif /* EDGENN_PADV2_H */
