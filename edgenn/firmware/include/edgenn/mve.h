/*
 * Helium (M-profile Vector Extension) paths of the int8 kernels, for cores that have it
 * (__ARM_FEATURE_MVE, set by -mcpu=cortex-m55 and later). Each kernel calls its edgenn_*_mve
 * function first; that returns 1 when it computed the layer, 0 to leave it to the kernel's other
 * paths. -DEDGENN_NO_MVE keeps the scalar and DSP paths.
 */
#ifndef EDGENN_MVE_H
#define EDGENN_MVE_H

#include "edgenn.h" /* EDGENN_NO_MVE where config.h asks for small code */

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && defined(__GNUC__) && !defined(EDGENN_NO_MVE)
#define EDGENN_MVE 1
#else
#define EDGENN_MVE 0
#endif

#endif /* EDGENN_MVE_H */
