#ifndef EDGENN_CONCATENATION_F32_H
#define EDGENN_CONCATENATION_F32_H

#include "concatenation.h"

/* The floats move as bytes: the int8 kernel, with copy sizes in bytes. */
void edgenn_concatenation_f32(const edgenn_concatenation_params *p, float *output);

#endif /* EDGENN_CONCATENATION_F32_H */
