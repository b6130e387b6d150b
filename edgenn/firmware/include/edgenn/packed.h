#ifndef EDGENN_PACKED_H
#define EDGENN_PACKED_H

/*
 * Weights stored packed (edgenn/export/packing.py): each output channel's row of `depth` int8 values
 * as indices into a table of 2^bits values of its own (a palette: bits 2, 3 or 4), as 4-bit two's
 * complement values (int4: no table), or as the nonzero blocks of 4 values that a bitmap marks
 * (sparse). A packed layer unpacks `group` output channels at a time into a scratch buffer in the
 * arena, and the dense kernel computes those channels from it: the same sums as the dense layer.
 */

#include "edgenn.h"
#include "conv_2d.h"
#include "fully_connected.h"

#define EDGENN_PACK_SPARSE 0 /* edgenn_packed.bits of the sparse encoding */

/* Value k of a channel in an int4 row: the low nibble (shift 0) or the high one (4), two's complement. */
EDGENN_INLINE int32_t edgenn_int4_at(const uint8_t *row, int32_t k, uint32_t shift) {
    return (int32_t)((((uint32_t)row[k] >> shift) & 15u) ^ 8u) - 8;
}

/*
 * 4-bit indices into one table for every channel (bits 4, table_step 0) are stored in pairs: per run of
 * 4 values k..k+3 of a channel, the byte (k | k+2 << 4), then (k+1 | k+3 << 4); row_bytes is
 * 2 * ceil(depth / 4). The kernels that read them in their loops look each byte up in 256 words built
 * from the table (edgenn_lut4_pairs): its two values as an int16 pair, against the input's bytes 0 and
 * 2 (or 1 and 3) as SMLAD takes them.
 */
EDGENN_INLINE int32_t edgenn_pair_index(const uint8_t *row, int32_t k) {
    return (int32_t)(((uint32_t)row[((k >> 2) << 1) + (k & 1)] >> ((uint32_t)(k & 2) << 1)) & 15u);
}

typedef struct {
    int32_t depth;     /* values per output channel */
    int32_t row_bytes; /* bytes of one channel's indices (LSB first); int4: of a pair's; sparse: 0 */
    int32_t bits;      /* an index's bits, 2 to 4; EDGENN_PACK_SPARSE */
    /* Per channel, row_bytes of indices into its table. int4: per pair of channels, byte k holds
     * channel 2p's value k in its low nibble and channel 2p + 1's in its high one. Sparse: per pair of
     * channels, in order, the index k of each block of its values [4k, 4k + 4) that holds a nonzero. */
    const uint8_t *data;
    /* Per channel, its table of 2^bits values, or one table every channel shares (table_step 0); NULL
     * where an index is the value (int4). Sparse: each block's 8 values, channel 2p's 4 then channel
     * 2p + 1's (a last partial block, and the missing channel of an odd count, padded with 0). */
    const int8_t *values;
    const uint16_t *counts; /* sparse: each pair of channels' blocks; else NULL */
    int32_t table_step;     /* tables: values from one channel's table to the next (2^bits, or 0: shared) */
} edgenn_packed;

typedef struct {
    const edgenn_conv_2d_params *layer; /* the dense layer's params */
    const edgenn_packed *weights;
    int8_t *scratch; /* group * depth bytes in the arena; group 0: the 256 words of a paired table's pairs */
    int32_t group;   /* output channels unpacked at a time; 0: none, the loop reads them */
} edgenn_conv_2d_packed_params;

typedef struct {
    const edgenn_fully_connected_params *layer; /* one batch */
    const edgenn_packed *weights;
    int8_t *scratch;
    int32_t group;
} edgenn_fully_connected_packed_params;

/* The layer on sparse weights, its zero blocks skipped, in the pair path's loop (CONV_SPARSE); 0 where
 * that path declines the layer's windows. In conv_2d.c. */
int edgenn_conv_2d_sparse(const edgenn_conv_2d_params *p, const int8_t *input, const edgenn_packed *weights,
                          int8_t *output);

/* x[0..3] against a paired row's bytes 2q, 2q + 1 looked up in the pairs: the weights of values k and
 * k + 2, then k + 1 and k + 3, each an int16 half (the cores without SMLAD). */
EDGENN_INLINE int32_t edgenn_lut4_dot4(const int8_t *x, uint32_t even, uint32_t odd) {
    return x[0] * (int16_t)even + x[2] * ((int32_t)even >> 16) + x[1] * (int16_t)odd + x[3] * ((int32_t)odd >> 16);
}

/* Whether w holds paired 4-bit indices into one table. */
EDGENN_INLINE int edgenn_packed_paired(const edgenn_packed *w) {
    return w->bits == 4 && w->table_step == 0 && w->values != NULL;
}

/* pairs[b] for each byte b: table[b & 15] in the low int16 half, table[b >> 4] in the high one. */
void edgenn_lut4_pairs(const int8_t *table, uint32_t *pairs);

/* The layer on paired 4-bit indices (CONV_LUT4) in the pair path's loop, `pairs` from edgenn_lut4_pairs;
 * 0 where that path declines the layer's windows. In conv_2d.c. */
int edgenn_conv_2d_lut4(const edgenn_conv_2d_params *p, const int8_t *input, const edgenn_packed *weights,
                        const uint32_t *pairs, int8_t *output);

/* Unpacks `rows` channels, from channel `row` (even) on, into dst; `*block` is the first block of
 * sparse channel `row`'s pair (0 for channel 0), and is advanced past the last whole pair's. */
void edgenn_unpack_weights(const edgenn_packed *w, int32_t row, int32_t rows, int32_t *block, int8_t *dst);

void edgenn_conv_2d_packed(const edgenn_conv_2d_packed_params *p, const int8_t *input, int8_t *output);

void edgenn_fully_connected_packed(const edgenn_fully_connected_packed_params *p, const int8_t *input,
                                   int8_t *output);

#endif /* EDGENN_PACKED_H */
