/*
 * The kernel paths to compile: edgenn codegen writes each model's folder a copy that turns on
 * only the paths its layers take, from the same choices that fill the layers' params; the
 * library's own turns on every one. Several models running from one copy of the kernels need
 * one config.h: generate them with --kernel-paths all (a model linked with kernels compiled
 * under another config.h fails the link: EDGENN_CONFIG_MARK in edgenn.h).
 */
#ifndef EDGENN_CONFIG_H
#define EDGENN_CONFIG_H

#define EDGENN_USE_CONV_DENSE 1 /* CONV_2D layer on int8 weights, or on packed ones unpacked a group of channels at a time */
#define EDGENN_USE_FC_DENSE 1 /* FULLY_CONNECTED layer on int8 weights, or on packed ones unpacked a group of channels at a time */
#define EDGENN_USE_CONV_PLAIN 1 /* CONV_2D layer the DSP cores' pair path declines (conv_2d.features): the plain loops */
#define EDGENN_USE_DW_LINE 1 /* DEPTHWISE_CONV_2D with one input channel on the line buffer (wpack set) */
#define EDGENN_USE_DW_SAME 1 /* DEPTHWISE_CONV_2D with depth multiplier 1 (no wpack) */
#define EDGENN_USE_DW_GENERAL 1 /* DEPTHWISE_CONV_2D with depth multiplier above 1 (no wpack) */
#define EDGENN_USE_DW_3X3_FULL 1 /* depthwise multiplier 1, 3x3, one-multiply requantization, activation range all of int8 */
#define EDGENN_USE_DW_3X3_ACT 1 /* depthwise multiplier 1, 3x3, one-multiply requantization, a narrower activation range */
#define EDGENN_USE_RQ_TWO_STEP 1 /* a convolution-like layer requantizing in TFLM's two steps (rq_k == 0) */
#define EDGENN_USE_PER_CHANNEL 1 /* a convolution-like layer whose multipliers or shifts differ between output channels */
#define EDGENN_USE_CONV_INT4 1 /* CONV_2D with int4 weights (packed.h) read in the pair path's loop, on every core */
#define EDGENN_USE_FC_INT4 1 /* FULLY_CONNECTED with int4 weights (packed.h): read in its loop, no scratch */
#define EDGENN_USE_CONV_SPARSE 1 /* CONV_2D with sparse weights (packed.h) read in the pair path's loop: zero blocks skipped */
#define EDGENN_USE_FC_SPARSE 1 /* FULLY_CONNECTED with sparse weights (packed.h): zero blocks skipped, no scratch */
#define EDGENN_USE_CONV_LUT4 1 /* CONV_2D with 4-bit indices into one table (packed.h) read in the pair path's loop, two a lookup */
#define EDGENN_USE_FC_LUT4 1 /* FULLY_CONNECTED with 4-bit indices into one table (packed.h) read in its loop, two a lookup */
#define EDGENN_USE_UNPACK 1 /* a packed layer whose weights are unpacked a group of channels at a time into its scratch */
#define EDGENN_USE_UNPACK_NIBBLES 1 /* an unpacked layer's 4-bit indices into tables (lut4) */
#define EDGENN_USE_UNPACK_PAIRS 1 /* an unpacked layer's paired 4-bit indices into one table (lut4, one table a layer) */
#define EDGENN_USE_UNPACK_BITS 1 /* an unpacked layer's 2- or 3-bit indices into tables (lut2, lut3) */
#define EDGENN_USE_UNPACK_INT4 1 /* an unpacked layer's int4 values */
#define EDGENN_USE_UNPACK_SPARSE 1 /* an unpacked layer's sparse blocks */
#define EDGENN_USE_OPTIMIZE_SIZE 0 /* kernels built for flash (codegen --optimize size): a general loop each, -Os, none forced inline */

/* The values above as one number, for the kernels' symbols. */
#define EDGENN_CONFIG_DIGITS(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w) a##b##c##d##e##f##g##h##i##j##k##l##m##n##o##p##q##r##s##t##u##v##w
#define EDGENN_CONFIG_DIGITS_(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w) EDGENN_CONFIG_DIGITS(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w)
#define EDGENN_CONFIG_BITS \
    EDGENN_CONFIG_DIGITS_(EDGENN_USE_CONV_DENSE, EDGENN_USE_FC_DENSE, EDGENN_USE_CONV_PLAIN, EDGENN_USE_DW_LINE, EDGENN_USE_DW_SAME, EDGENN_USE_DW_GENERAL, EDGENN_USE_DW_3X3_FULL, EDGENN_USE_DW_3X3_ACT, EDGENN_USE_RQ_TWO_STEP, EDGENN_USE_PER_CHANNEL, EDGENN_USE_CONV_INT4, EDGENN_USE_FC_INT4, EDGENN_USE_CONV_SPARSE, EDGENN_USE_FC_SPARSE, EDGENN_USE_CONV_LUT4, EDGENN_USE_FC_LUT4, EDGENN_USE_UNPACK, EDGENN_USE_UNPACK_NIBBLES, EDGENN_USE_UNPACK_PAIRS, EDGENN_USE_UNPACK_BITS, EDGENN_USE_UNPACK_INT4, EDGENN_USE_UNPACK_SPARSE, EDGENN_USE_OPTIMIZE_SIZE)

#endif /* EDGENN_CONFIG_H */
