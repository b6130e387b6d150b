#ifndef EDGENN_PAD_F32_H
#define EDGENN_PAD_F32_H

#include "pad.h"

/* 0.0f is four zero bytes: the int8 kernel pads the floats' bytes (dims in bytes, pad_value 0). */
void edgenn_pad_f32(const edgenn_pad_params *p, const float *input, float *output);

#endif /* EDGENN_PAD_F32_H */
