/*
 * edgenn kernel library: common definitions.
 *
 * C99, no malloc, no stdio, no float in the int8 path. Kernels trust their arguments: every
 * check happens when the model is exported.
 */
#ifndef EDGENN_EDGENN_H
#define EDGENN_EDGENN_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "status.h"

/*
 * Kernels built for flash (codegen --optimize size, config.h): one general loop where the fast build
 * keeps specialized copies (the dot products keep the core's DSP or SSE2 form, a loop of their own),
 * no Helium loops, nothing forced inline; the folder builds them with -Os. Same bytes out, more
 * instructions.
 */
#define EDGENN_OPTIMIZE_SIZE EDGENN_USE_OPTIMIZE_SIZE
#if EDGENN_OPTIMIZE_SIZE
#ifndef EDGENN_NO_MVE
#define EDGENN_NO_MVE 1
#endif
#endif

#ifndef EDGENN_ALIGN
#if defined(__cplusplus) && __cplusplus >= 201103L
#define EDGENN_ALIGN(n) alignas(n)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define EDGENN_ALIGN(n) _Alignas(n)
#elif defined(__GNUC__) || defined(__clang__) || defined(__CC_ARM) || defined(__ICCARM__)
#define EDGENN_ALIGN(n) __attribute__((aligned(n)))
#elif defined(_MSC_VER)
#define EDGENN_ALIGN(n) __declspec(align(n))
#else
#error "edgenn: no way known to align data on this compiler; define EDGENN_ALIGN(n)"
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define EDGENN_INLINE static __inline__
#define EDGENN_NOINLINE __attribute__((noinline))
#else
#define EDGENN_INLINE static
#define EDGENN_NOINLINE
#endif

/*
 * The index of output channel c's requantization constants in a convolution-like layer's multiplier
 * and shift arrays: where every layer's are one per tensor (config.h), export stores one of each per
 * layer and every channel reads index 0.
 */
#define EDGENN_QCH(c) (EDGENN_USE_PER_CHANNEL ? (c) : 0)

/*
 * Each kernel that reads config.h defines edgenn_<op>_config_<EDGENN_CONFIG_BITS> (config.h's values
 * as digits), and a generated model.c refers to the ones of its own config.h: a kernel compiled with
 * another config (another model's, where several share one copy of the kernels) fails the link
 * instead of running without the paths the model needs.
 */
#define EDGENN_CONFIG_MARK(op) EDGENN_CONFIG_MARK_(op, EDGENN_CONFIG_BITS)
#define EDGENN_CONFIG_MARK_(op, bits) EDGENN_CONFIG_MARK__(op, bits)
#define EDGENN_CONFIG_MARK__(op, bits)                                                                          \
    extern const char edgenn_##op##_config_##bits;                                                             \
    const char edgenn_##op##_config_##bits = 1

#include "fixedpoint.h"

EDGENN_INLINE void edgenn_copy_bytes(void *dst, const void *src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    size_t i;
    for (i = 0; i < n; ++i) {
        d[i] = s[i];
    }
}

/* std::min(hi, std::max(lo, v)), TFLM's order: if a zero point outside int8 makes the bounds cross,
 * the upper one wins, as it does there. Compilers emit conditional moves for this form, where a
 * nested conditional becomes branches that mispredict under ReLU. */
EDGENN_INLINE int8_t edgenn_clamp_int8(int32_t v, int32_t lo, int32_t hi) {
    v = v > lo ? v : lo;
    v = v < hi ? v : hi;
    return (int8_t)v;
}

#endif /* EDGENN_EDGENN_H */
