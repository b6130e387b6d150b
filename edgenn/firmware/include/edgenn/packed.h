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

typedef struct {
    int32_t depth;     /* values per output channel */
    int32_t row_bytes; /* bytes of one channel's indices (LSB first) or bitmap (sparse); int4: depth */
    int32_t bits;      /* an index's bits, 2 to 4; EDGENN_PACK_SPARSE */
    /* Per channel, row_bytes of indices, or the bitmap of its blocks of 4 values (bit b of byte b / 8
     * for values [4b, 4b + 4)), set where the block holds a nonzero value. int4: per pair of channels,
     * byte k holds channel 2p's value k in its low nibble and channel 2p + 1's in its high one. */
    const uint8_t *data;
    /* Per channel, its table of 2^bits values; NULL where an index is the value (int4). Sparse: the
     * marked blocks of every channel in order, a last partial block with its depth % 4 values. */
    const int8_t *values;
} edgenn_packed;

typedef struct {
    const edgenn_conv_2d_params *layer; /* the dense layer's params; its out_stride is out_c */
    const edgenn_packed *weights;
    int8_t *scratch; /* group * depth bytes in the arena */
    int32_t group;   /* output channels unpacked at a time */
} edgenn_conv_2d_packed_params;

typedef struct {
    const edgenn_fully_connected_params *layer; /* one batch */
    const edgenn_packed *weights;
    int8_t *scratch;
    int32_t group;
} edgenn_fully_connected_packed_params;

/* Unpacks `rows` channels, from channel `row` on, into dst; `*values` is where sparse channel `row`'s
 * blocks start (w->values for channel 0), and is advanced past them. */
void edgenn_unpack(const edgenn_packed *w, int32_t row, int32_t rows, const int8_t **values, int8_t *dst);

void edgenn_conv_2d_packed(const edgenn_conv_2d_packed_params *p, const int8_t *input, int8_t *output);

void edgenn_fully_connected_packed(const edgenn_fully_connected_packed_params *p, const int8_t *input,
                                   int8_t *output);

#endif /* EDGENN_PACKED_H */
