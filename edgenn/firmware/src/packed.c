/* Packed weights (packed.h): twin of edgenn/export/packing.py's unpack. */
#include "packed.h"

#include "conv_common.h"

#include <string.h>

EDGENN_CONFIG_MARK(packed); /* the kernel paths config.h compiles, for the model's link check */

/* One channel of indices into its table: 4 bits (two per byte, the low nibble first), 2 or 3. */
static void unpack_indices(const edgenn_packed *w, const uint8_t *src, const int8_t *table, int8_t *dst) {
    const int32_t n = w->depth;
    int32_t k = 0;
    if (w->bits == 4) {
        for (; k + 1 < n; k += 2) {
            const uint32_t b = *src++;
            dst[k] = table[b & 15u];
            dst[k + 1] = table[b >> 4];
        }
        if (k < n) {
            dst[k] = table[*src & 15u];
        }
        return;
    }
    {
        /* A bit buffer refilled a byte at a time. */
        const uint32_t bits = (uint32_t)w->bits;
        const uint32_t mask = (1u << bits) - 1u;
        uint32_t buf = 0;
        uint32_t have = 0;
        for (; k < n; ++k) {
            if (have < bits) {
                buf |= (uint32_t)*src++ << have;
                have += 8u;
            }
            dst[k] = table[buf & mask];
            buf >>= bits;
            have -= bits;
        }
    }
}

/* Channel r of int4 values: the low (even r) or high nibbles of its pair's bytes, two's complement. */
static void unpack_int4(const edgenn_packed *w, int32_t r, int8_t *dst) {
    const uint8_t *src = w->data + (r >> 1) * w->row_bytes;
    const uint32_t shift = (uint32_t)(r & 1) * 4u;
    int32_t k;
    for (k = 0; k < w->depth; ++k) {
        const uint32_t v = ((uint32_t)src[k] >> shift) & 15u;
        dst[k] = (int8_t)((int32_t)(v ^ 8u) - 8);
    }
}

/* One channel of marked blocks: zeros where its bitmap has no mark. */
static const int8_t *unpack_sparse(const edgenn_packed *w, const uint8_t *bitmap, const int8_t *src, int8_t *dst) {
    const int32_t n = w->depth;
    int32_t k;
    for (k = 0; k < n; k += 4) {
        const int32_t len = n - k < 4 ? n - k : 4;
        if ((bitmap[k >> 5] >> ((k >> 2) & 7)) & 1u) {
            memcpy(dst + k, src, (size_t)len);
            src += len;
        } else {
            memset(dst + k, 0, (size_t)len);
        }
    }
    return src;
}

void edgenn_unpack(const edgenn_packed *w, int32_t row, int32_t rows, const int8_t **values, int8_t *dst) {
    int32_t r;
    for (r = row; r < row + rows; ++r, dst += w->depth) {
        const uint8_t *src = w->data + r * w->row_bytes;
        if (w->bits == EDGENN_PACK_SPARSE) {
            *values = unpack_sparse(w, src, *values, dst);
        } else if (w->values == NULL) {
            unpack_int4(w, r, dst);
        } else {
            unpack_indices(w, src, w->values + (r << w->bits), dst);
        }
    }
}

void edgenn_conv_2d_packed(const edgenn_conv_2d_packed_params *p, const int8_t *input, int8_t *output) {
    const edgenn_conv_2d_params *conv = p->layer;
    edgenn_conv_2d_params slice = *conv;
    const int8_t *values = p->weights->values;
    int32_t c;
    for (c = 0; c < conv->out_c; c += p->group) {
        const int32_t n = conv->out_c - c < p->group ? conv->out_c - c : p->group;
        edgenn_unpack(p->weights, c, n, &values, p->scratch);
        slice.out_c = n;
        slice.group_out = n;
        slice.bias = conv->bias + c;
        slice.bias_raw = conv->bias_raw != NULL ? conv->bias_raw + c : NULL;
        slice.multiplier = conv->multiplier + EDGENN_QCH(c);
        slice.shift = conv->shift + EDGENN_QCH(c);
        edgenn_conv_2d(&slice, input, p->scratch, output + c);
    }
}

void edgenn_fully_connected_packed(const edgenn_fully_connected_packed_params *p, const int8_t *input,
                                   int8_t *output) {
    const edgenn_fully_connected_params *fc = p->layer;
    edgenn_fully_connected_params slice = *fc;
    const int8_t *values = p->weights->values;
    int32_t c;
    for (c = 0; c < fc->output_depth; c += p->group) {
        const int32_t n = fc->output_depth - c < p->group ? fc->output_depth - c : p->group;
        edgenn_unpack(p->weights, c, n, &values, p->scratch);
        slice.output_depth = n;
        slice.bias = fc->bias + c;
        slice.multiplier = fc->multiplier + EDGENN_QCH(c);
        slice.shift = fc->shift + EDGENN_QCH(c);
        edgenn_fully_connected(&slice, input, p->scratch, output + c);
    }
}
