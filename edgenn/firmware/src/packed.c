/* Packed weights (packed.h): twin of edgenn/export/packing.py's unpack. */
#include "packed.h"

#include "conv_common.h"

#include <string.h>

EDGENN_CONFIG_MARK(packed); /* the kernel paths config.h compiles, for the model's link check */

#if EDGENN_USE_UNPACK
/* Each encoding's unpacker is compiled only where some layer of the model is unpacked from it (config.h). */
#if EDGENN_USE_UNPACK_NIBBLES || EDGENN_USE_UNPACK_BITS || EDGENN_USE_UNPACK_PAIRS
/* One channel of indices into its table: 4 bits (two per byte, the low nibble first; or paired, packed.h),
 * 2 or 3. */
static void unpack_indices(const edgenn_packed *w, const uint8_t *src, const int8_t *table, int8_t *dst) {
    const int32_t n = w->depth;
    int32_t k = 0;
#if EDGENN_USE_UNPACK_PAIRS
    if (edgenn_packed_paired(w)) {
        for (; k < n; ++k) {
            dst[k] = table[edgenn_pair_index(src, k)];
        }
        return;
    }
#endif
#if EDGENN_USE_UNPACK_NIBBLES
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
#endif
#if EDGENN_USE_UNPACK_BITS
    {
        /* A bit buffer refilled a byte at a time. */
        const uint32_t bits = (uint32_t)w->bits;
        const uint32_t mask = (1u << bits) - 1u;
        uint32_t buf = 0;
        uint32_t have = 0;
#if !EDGENN_OPTIMIZE_SIZE
        /* First eight indices at a time, from the `bits` bytes that hold them read as one word. The
         * rest starts on a byte. Unrolled by hand: as a loop over the eight, gcc -O2 keeps it rolled
         * (digits' lut3 dense layer: 53,413 instructions against 34,833 unrolled, on the M4). */
        for (; k + 8 <= n; k += 8, src += bits) {
            uint32_t v = (uint32_t)src[0] | (uint32_t)src[1] << 8 | (bits == 3u ? (uint32_t)src[2] << 16 : 0u);
            int8_t *d = dst + k;
            d[0] = table[v & mask];
            v >>= bits;
            d[1] = table[v & mask];
            v >>= bits;
            d[2] = table[v & mask];
            v >>= bits;
            d[3] = table[v & mask];
            v >>= bits;
            d[4] = table[v & mask];
            v >>= bits;
            d[5] = table[v & mask];
            v >>= bits;
            d[6] = table[v & mask];
            d[7] = table[v >> bits];
        }
#endif
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
#endif
}
#endif

#if EDGENN_USE_UNPACK_INT4
/* Channel r of int4 values: the low (even r) or high nibbles of its pair's bytes, two's complement. */
static void unpack_int4(const edgenn_packed *w, int32_t r, int8_t *dst) {
    const uint8_t *src = w->data + (r >> 1) * w->row_bytes;
    const uint32_t shift = (uint32_t)(r & 1) * 4u;
    int32_t k;
    for (k = 0; k < w->depth; ++k) {
        dst[k] = (int8_t)edgenn_int4_at(src, k, shift);
    }
}
#endif

#if EDGENN_USE_UNPACK_SPARSE
/* Channel r of sparse blocks, its pair's from block k on: zeros but in the blocks. */
static void unpack_sparse(const edgenn_packed *w, int32_t r, int32_t k, int8_t *dst) {
    const int32_t n = w->depth;
    const int32_t end = k + w->counts[r >> 1];
    memset(dst, 0, (size_t)n);
    for (; k < end; ++k) {
        const int32_t at = 4 * (int32_t)w->data[k];
        memcpy(dst + at, w->values + 8 * k + 4 * (r & 1), (size_t)(n - at < 4 ? n - at : 4));
    }
}
#endif

void edgenn_unpack_weights(const edgenn_packed *w, int32_t row, int32_t rows, int32_t *block, int8_t *dst) {
    int32_t r;
    (void)block;
    for (r = row; r < row + rows; ++r, dst += w->depth) {
#if EDGENN_USE_UNPACK_SPARSE
        if (w->bits == EDGENN_PACK_SPARSE) {
            unpack_sparse(w, r, *block, dst);
            *block += (r & 1) ? w->counts[r >> 1] : 0;
            continue;
        }
#endif
#if EDGENN_USE_UNPACK_INT4
        if (w->values == NULL) {
            unpack_int4(w, r, dst);
            continue;
        }
#endif
#if EDGENN_USE_UNPACK_NIBBLES || EDGENN_USE_UNPACK_BITS || EDGENN_USE_UNPACK_PAIRS
        unpack_indices(w, w->data + r * w->row_bytes, w->values + r * w->table_step, dst);
#endif
    }
}
#endif

#if EDGENN_USE_CONV_LUT4 || EDGENN_USE_FC_LUT4
/* The first 16 words hold the low halves alone; every group of 16 adds its high half to them, the
 * first group last, in place: a load, an add and a store a word, four words a turn. */
void edgenn_lut4_pairs(const int8_t *table, uint32_t *pairs) {
    int32_t hi;
    int32_t lo;
    for (lo = 0; lo < 16; ++lo) {
        pairs[lo] = (uint32_t)(uint16_t)table[lo];
    }
    for (hi = 15; hi >= 0; --hi) {
        const uint32_t high = (uint32_t)table[hi] << 16;
        uint32_t *row = pairs + 16 * hi;
        for (lo = 0; lo < 16; lo += 4) {
            const uint32_t a = pairs[lo] + high;
            const uint32_t b = pairs[lo + 1] + high;
            const uint32_t c = pairs[lo + 2] + high;
            const uint32_t d = pairs[lo + 3] + high;
            row[lo] = a;
            row[lo + 1] = b;
            row[lo + 2] = c;
            row[lo + 3] = d;
        }
    }
}
#endif

/* int4 weights: the values of a pair of channels in one row (packed.h), as the DSP loops read them. */
EDGENN_INLINE int packed_int4(const edgenn_packed *w) { return w->bits == 4 && w->values == NULL; }

void edgenn_conv_2d_packed(const edgenn_conv_2d_packed_params *p, const int8_t *input, int8_t *output) {
    const edgenn_conv_2d_params *conv = p->layer;
#if EDGENN_USE_CONV_INT4
    if (packed_int4(p->weights) && edgenn_conv_2d_int4(conv, input, p->weights->data, output)) {
        return;
    }
#endif
#if EDGENN_USE_CONV_SPARSE
    if (p->weights->bits == EDGENN_PACK_SPARSE && edgenn_conv_2d_sparse(conv, input, p->weights, output)) {
        return;
    }
#endif
#if EDGENN_USE_CONV_LUT4
    if (p->group == 0 && edgenn_packed_paired(p->weights)) {
        uint32_t *pairs = (uint32_t *)(void *)p->scratch;
        edgenn_lut4_pairs(p->weights->values, pairs);
        if (edgenn_conv_2d_lut4(conv, input, p->weights, pairs, output)) {
            return;
        }
    }
#endif
#if EDGENN_USE_UNPACK && EDGENN_USE_CONV_DENSE
    {
        /* Groups of channels unpacked in turn, each computed as a slice of the layer: group_out of its
         * out_c channels (conv_2d.h). */
        edgenn_conv_2d_params slice = *conv;
        int32_t block = 0;
        int32_t c;
        for (c = 0; c < conv->out_c; c += p->group) {
            const int32_t n = conv->out_c - c < p->group ? conv->out_c - c : p->group;
            edgenn_unpack_weights(p->weights, c, n, &block, p->scratch);
            slice.group_out = n;
            slice.bias = conv->bias + c;
            slice.bias_raw = conv->bias_raw != NULL ? conv->bias_raw + c : NULL;
            slice.multiplier = conv->multiplier + EDGENN_QCH(c);
            slice.shift = conv->shift + EDGENN_QCH(c);
            edgenn_conv_2d(&slice, input, p->scratch, output + c);
        }
    }
#else
    (void)input;
    (void)output;
    (void)conv;
#endif
}

#if EDGENN_USE_FC_SPARSE
/*
 * Channels c, c + 1 (a pair, packed.h) of a dense layer on sparse weights: each of the pair's blocks
 * reads one word of the input for both; a last partial block (its index n / 4, where n % 4 is not 0)
 * value by value, so that no load reads past the input. `*idx` and `*v` are left after the pair's.
 */
static void fc_sparse_pair(const int8_t *x, int32_t n, int32_t count, const uint8_t **idx, const int8_t **v,
                           int32_t *acc) {
    const uint8_t *at = *idx;
    const int8_t *wv = *v;
    const uint8_t *end = at + count;
    int32_t a0 = 0;
    int32_t a1 = 0;
    int32_t j;
    *idx = end;
    *v = wv + 8 * count;
    if ((n & 3) && count > 0 && (int32_t)end[-1] == (n >> 2)) {
        const int8_t *tail = wv + 8 * (count - 1);
        for (j = 0; j < (n & 3); ++j) {
            a0 += x[(n & ~3) + j] * tail[j];
            a1 += x[(n & ~3) + j] * tail[4 + j];
        }
        --end;
    }
    for (; at != end; wv += 8) {
        const int8_t *a = x + 4 * (int32_t)*at++;
#if EDGENN_CONV_DSP
        const uint32_t xv = edgenn_load4(a);
        const int32_t xe = edgenn_even16(xv);
        const int32_t xo = edgenn_odd16(xv);
        const uint32_t w0 = edgenn_load4(wv);
        const uint32_t w1 = edgenn_load4(wv + 4);
        a0 = __smlad(xe, edgenn_even16(w0), __smlad(xo, edgenn_odd16(w0), a0));
        a1 = __smlad(xe, edgenn_even16(w1), __smlad(xo, edgenn_odd16(w1), a1));
#else
        for (j = 0; j < 4; ++j) {
            a0 += a[j] * wv[j];
            a1 += a[j] * wv[4 + j];
        }
#endif
    }
    acc[0] = a0;
    acc[1] = a1;
}
#endif

#if EDGENN_USE_FC_INT4

#if EDGENN_CONV_DSP
/*
 * Four output channels, the two pairs of rows at w and w + n, over the first n & ~3 inputs: per four
 * inputs one word of x split into int16 pairs once, and one word of each pair of rows, whose high
 * nibbles masked in place are the odd channel's values times 16 and whose low ones shifted up are the
 * even channel's, each split by SXTB16. The sums are 16 times the dot products, exactly: a product is
 * at most 128 * 128, and export keeps n below 2^17.
 */
static EDGENN_NOINLINE void fc_int4_rows4(const int8_t *x, const uint8_t *w, int32_t n, int32_t *acc) {
    int32_t a0 = 0;
    int32_t a1 = 0;
    int32_t a2 = 0;
    int32_t a3 = 0;
    int32_t k = n >> 2;
    if (k > 0) {
        uint32_t xe;
        uint32_t xo;
        uint32_t v;
        uint32_t t;
        uint32_t u;
        __asm__("1:\n\t"
                "ldr %[xo], [%[x]], #4\n\t"
                "sxtb16 %[xe], %[xo]\n\t"
                "sxtb16 %[xo], %[xo], ror #8\n\t"
                "ldr %[v], [%[w], %[n]]\n\t"
                "and %[t], %[v], #0xF0F0F0F0\n\t"
                "sxtb16 %[u], %[t]\n\t"
                "smlad %[a3], %[u], %[xe], %[a3]\n\t"
                "sxtb16 %[t], %[t], ror #8\n\t"
                "smlad %[a3], %[t], %[xo], %[a3]\n\t"
                "lsl %[t], %[v], #4\n\t"
                "and %[t], %[t], #0xF0F0F0F0\n\t"
                "sxtb16 %[u], %[t]\n\t"
                "smlad %[a2], %[u], %[xe], %[a2]\n\t"
                "sxtb16 %[t], %[t], ror #8\n\t"
                "smlad %[a2], %[t], %[xo], %[a2]\n\t"
                "ldr %[v], [%[w]], #4\n\t"
                "and %[t], %[v], #0xF0F0F0F0\n\t"
                "sxtb16 %[u], %[t]\n\t"
                "smlad %[a1], %[u], %[xe], %[a1]\n\t"
                "sxtb16 %[t], %[t], ror #8\n\t"
                "smlad %[a1], %[t], %[xo], %[a1]\n\t"
                "lsl %[t], %[v], #4\n\t"
                "and %[t], %[t], #0xF0F0F0F0\n\t"
                "sxtb16 %[u], %[t]\n\t"
                "smlad %[a0], %[u], %[xe], %[a0]\n\t"
                "sxtb16 %[t], %[t], ror #8\n\t"
                "smlad %[a0], %[t], %[xo], %[a0]\n\t"
                "subs %[k], %[k], #1\n\t"
                "bne 1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),
                  [k] "+r"(k), [xe] "=&r"(xe), [xo] "=&r"(xo), [v] "=&r"(v), [t] "=&r"(t), [u] "=&r"(u)
                : [n] "r"(n)
                : "cc", "memory");
    }
    acc[0] = a0 >> 4;
    acc[1] = a1 >> 4;
    acc[2] = a2 >> 4;
    acc[3] = a3 >> 4;
}

/* fc_int4_rows4 for the two channels of one pair of rows. */
static EDGENN_NOINLINE void fc_int4_rows2(const int8_t *x, const uint8_t *w, int32_t n, int32_t *acc) {
    int32_t a0 = 0;
    int32_t a1 = 0;
    int32_t k = n >> 2;
    if (k > 0) {
        uint32_t xe;
        uint32_t xo;
        uint32_t v;
        uint32_t t;
        uint32_t u;
        __asm__("1:\n\t"
                "ldr %[xo], [%[x]], #4\n\t"
                "sxtb16 %[xe], %[xo]\n\t"
                "sxtb16 %[xo], %[xo], ror #8\n\t"
                "ldr %[v], [%[w]], #4\n\t"
                "and %[t], %[v], #0xF0F0F0F0\n\t"
                "sxtb16 %[u], %[t]\n\t"
                "smlad %[a1], %[u], %[xe], %[a1]\n\t"
                "sxtb16 %[t], %[t], ror #8\n\t"
                "smlad %[a1], %[t], %[xo], %[a1]\n\t"
                "lsl %[t], %[v], #4\n\t"
                "and %[t], %[t], #0xF0F0F0F0\n\t"
                "sxtb16 %[u], %[t]\n\t"
                "smlad %[a0], %[u], %[xe], %[a0]\n\t"
                "sxtb16 %[t], %[t], ror #8\n\t"
                "smlad %[a0], %[t], %[xo], %[a0]\n\t"
                "subs %[k], %[k], #1\n\t"
                "bne 1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [x] "+r"(x), [w] "+r"(w), [k] "+r"(k), [xe] "=&r"(xe),
                  [xo] "=&r"(xo), [v] "=&r"(v), [t] "=&r"(t), [u] "=&r"(u)
                :
                : "cc", "memory");
    }
    acc[0] = a0 >> 4;
    acc[1] = a1 >> 4;
}

/* Channels c to c + count - 1 (count <= 4) from sums over the first n & ~3 inputs: the rest, then out. */
static void fc_int4_finish(const edgenn_fully_connected_params *p, const uint8_t *weights, const int8_t *x,
                           const int32_t *acc, int32_t c, int32_t count, int8_t *out) {
    const int32_t n = p->accum_depth;
    int32_t j;
    int32_t k;
    for (j = 0; j < count; ++j) {
        const uint8_t *row = weights + ((c + j) >> 1) * n;
        int32_t sum = p->bias[c + j] + acc[j];
        for (k = n & ~3; k < n; ++k) {
            sum += x[k] * edgenn_int4_at(row, k, (uint32_t)((c + j) & 1) * 4u);
        }
        out[c + j] = edgenn_conv_out(sum, c + j, p->rq_k, p->multiplier, p->shift, p->output_offset, p->act_min,
                                     p->act_max);
    }
}
#endif

/* The layer on int4 weights read in the loop: channels in pairs of rows of n bytes (packed.h). */
static void fc_int4(const edgenn_fully_connected_params *p, const uint8_t *weights, const int8_t *x,
                    int8_t *out) {
    const int32_t n = p->accum_depth;
    int32_t c = 0;
#if EDGENN_CONV_DSP
    int32_t acc[4];
    for (; c + 4 <= p->output_depth; c += 4) {
        fc_int4_rows4(x, weights + (c >> 1) * n, n, acc);
        fc_int4_finish(p, weights, x, acc, c, 4, out);
    }
    if (c < p->output_depth) {
        /* The last pair, or the last channel with its pair's empty high nibbles. */
        fc_int4_rows2(x, weights + (c >> 1) * n, n, acc);
        fc_int4_finish(p, weights, x, acc, c, p->output_depth - c < 2 ? 1 : 2, out);
        c += 2;
    }
#endif
    for (; c < p->output_depth; ++c) {
        const uint8_t *row = weights + (c >> 1) * n;
        const uint32_t shift = (uint32_t)(c & 1) * 4u;
        int32_t sum = p->bias[c];
        int32_t k;
        for (k = 0; k < n; ++k) {
            sum += x[k] * edgenn_int4_at(row, k, shift);
        }
        out[c] = edgenn_conv_out(sum, c, p->rq_k, p->multiplier, p->shift, p->output_offset, p->act_min,
                                 p->act_max);
    }
}
#endif

#if EDGENN_USE_FC_LUT4
/* One channel's sum over the inputs from `from` on: the last n % 4 values one index at a time. */
static EDGENN_NOINLINE int32_t lut4_row_tail(const edgenn_packed *w, const uint8_t *row, const int8_t *x, int32_t from) {
    int32_t sum = 0;
    int32_t k;
    for (k = from; k < w->depth; ++k) {
        sum += x[k] * w->values[edgenn_pair_index(row, k)];
    }
    return sum;
}

#if EDGENN_CONV_DSP
/*
 * Four channels (rows r, r + rb, r + 2rb, r + 3rb) over the first n & ~3 inputs, into acc: per four
 * inputs one word of x split into int16 pairs once, and per row two bytes, each looked up as an int16
 * pair of weights and multiplied in by one SMLAD. Thirteen registers, as fc_rows4 in
 * fully_connected.c.
 */
static EDGENN_NOINLINE void fc_lut4_rows4(const int8_t *x, const uint8_t *r, int32_t rb, int32_t n,
                                          const uint32_t *pairs, int32_t *acc) {
    const uint8_t *w0 = r;
    const uint8_t *w1 = r + rb;
    const int32_t rb2 = 2 * rb;
    int32_t a0 = 0;
    int32_t a1 = 0;
    int32_t a2 = 0;
    int32_t a3 = 0;
    int32_t k = n >> 2;
    if (k > 0) {
        uint32_t xe;
        uint32_t xo;
        uint32_t v;
        __asm__("1:\n\t"
                "ldr %[xo], [%[x]], #4\n\t"
                "sxtb16 %[xe], %[xo]\n\t"
                "sxtb16 %[xo], %[xo], ror #8\n\t"
                "ldrb %[v], [%[w0], %[rb2]]\n\t"
                "ldr %[v], [%[pt], %[v], lsl #2]\n\t"
                "smlad %[a2], %[v], %[xe], %[a2]\n\t"
                "ldrb %[v], [%[w0]], #1\n\t"
                "ldr %[v], [%[pt], %[v], lsl #2]\n\t"
                "smlad %[a0], %[v], %[xe], %[a0]\n\t"
                "ldrb %[v], [%[w0], %[rb2]]\n\t"
                "ldr %[v], [%[pt], %[v], lsl #2]\n\t"
                "smlad %[a2], %[v], %[xo], %[a2]\n\t"
                "ldrb %[v], [%[w0]], #1\n\t"
                "ldr %[v], [%[pt], %[v], lsl #2]\n\t"
                "smlad %[a0], %[v], %[xo], %[a0]\n\t"
                "ldrb %[v], [%[w1], %[rb2]]\n\t"
                "ldr %[v], [%[pt], %[v], lsl #2]\n\t"
                "smlad %[a3], %[v], %[xe], %[a3]\n\t"
                "ldrb %[v], [%[w1]], #1\n\t"
                "ldr %[v], [%[pt], %[v], lsl #2]\n\t"
                "smlad %[a1], %[v], %[xe], %[a1]\n\t"
                "ldrb %[v], [%[w1], %[rb2]]\n\t"
                "ldr %[v], [%[pt], %[v], lsl #2]\n\t"
                "smlad %[a3], %[v], %[xo], %[a3]\n\t"
                "ldrb %[v], [%[w1]], #1\n\t"
                "ldr %[v], [%[pt], %[v], lsl #2]\n\t"
                "smlad %[a1], %[v], %[xo], %[a1]\n\t"
                "subs %[k], %[k], #1\n\t"
                "bne 1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w0] "+r"(w0),
                  [w1] "+r"(w1), [k] "+r"(k), [xe] "=&r"(xe), [xo] "=&r"(xo), [v] "=&r"(v)
                : [rb2] "r"(rb2), [pt] "r"(pairs)
                : "cc", "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

/* Channel c's output from its sum: out of line, once for every path. */
static EDGENN_NOINLINE void fc_lut4_out(const edgenn_fully_connected_params *p, int32_t sum, int32_t c, int8_t *out) {
    out[c] = edgenn_conv_out(sum, c, p->rq_k, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max);
}

/* The layer on paired 4-bit indices into one table (packed.h), read in the loop. */
static void fc_lut4(const edgenn_fully_connected_params *p, const edgenn_packed *w, const uint32_t *pairs,
                    const int8_t *x, int8_t *out) {
    const int32_t n = p->accum_depth;
    const int32_t whole = n & ~3;
    const int32_t rb = w->row_bytes;
    int32_t c = 0;
    int32_t j;
#if EDGENN_CONV_DSP
    for (; c + 4 <= p->output_depth; c += 4) {
        int32_t acc[4];
        fc_lut4_rows4(x, w->data + c * rb, rb, n, pairs, acc);
        for (j = 0; j < 4; ++j) {
            fc_lut4_out(p, p->bias[c + j] + acc[j] + lut4_row_tail(w, w->data + (c + j) * rb, x, whole), c + j, out);
        }
    }
#endif
    for (; c < p->output_depth; ++c) {
        const uint8_t *row = w->data + c * rb;
        int32_t sum = p->bias[c] + lut4_row_tail(w, row, x, whole);
        for (j = 0; j < whole; j += 4) {
            sum += edgenn_lut4_dot4(x + j, pairs[row[j >> 1]], pairs[row[(j >> 1) + 1]]);
        }
        fc_lut4_out(p, sum, c, out);
    }
}
#endif

void edgenn_fully_connected_packed(const edgenn_fully_connected_packed_params *p, const int8_t *input,
                                   int8_t *output) {
    const edgenn_fully_connected_params *fc = p->layer;
#if EDGENN_USE_FC_LUT4
    if (p->group == 0 && edgenn_packed_paired(p->weights)) {
        uint32_t *pairs = (uint32_t *)(void *)p->scratch;
        edgenn_lut4_pairs(p->weights->values, pairs);
        fc_lut4(fc, p->weights, pairs, input, output);
        return;
    }
#endif
#if EDGENN_USE_FC_INT4
    if (packed_int4(p->weights)) {
        fc_int4(fc, p->weights->data, input, output);
        return;
    }
#endif
#if EDGENN_USE_FC_SPARSE
    if (p->weights->bits == EDGENN_PACK_SPARSE) {
        /* Every core: each pair of channels' blocks alone, the others skipped. */
        const uint8_t *idx = p->weights->data;
        const int8_t *v = p->weights->values;
        int32_t c;
        for (c = 0; c < fc->output_depth; c += 2) {
            int32_t acc[2];
            int32_t j;
            fc_sparse_pair(input, fc->accum_depth, p->weights->counts[c >> 1], &idx, &v, acc);
            for (j = 0; j < 2 && c + j < fc->output_depth; ++j) {
                output[c + j] = edgenn_conv_out(fc->bias[c + j] + acc[j], c + j, fc->rq_k, fc->multiplier, fc->shift,
                                                fc->output_offset, fc->act_min, fc->act_max);
            }
        }
        return;
    }
#endif
#if EDGENN_USE_UNPACK && EDGENN_USE_FC_DENSE
    {
        edgenn_fully_connected_params slice = *fc;
        int32_t block = 0;
        int32_t c;
        for (c = 0; c < fc->output_depth; c += p->group) {
            const int32_t n = fc->output_depth - c < p->group ? fc->output_depth - c : p->group;
            edgenn_unpack_weights(p->weights, c, n, &block, p->scratch);
            slice.output_depth = n;
            slice.bias = fc->bias + c;
            slice.multiplier = fc->multiplier + EDGENN_QCH(c);
            slice.shift = fc->shift + EDGENN_QCH(c);
            edgenn_fully_connected(&slice, input, p->scratch, output + c);
        }
    }
#else
    (void)input;
    (void)output;
    (void)fc;
#endif
}
