#ifndef EDGENN_STREAM_H
#define EDGENN_STREAM_H

#include "edgenn.h"

/*
 * A row-streamed chain of layers (edgenn/export/stream.py plans it): each layer after the first keeps
 * only a window of the input rows it still needs, and the chain's last layer writes its output rows
 * straight into the arena. A stage's `run` computes output row `row` from the window rows starting at
 * `input` (codegen picks the layer's params for that row: its padding and how many rows the window
 * holds there) into `output`.
 */
typedef void (*edgenn_stage_fn)(int32_t row, const int8_t *input, int8_t *output);

typedef struct {
    edgenn_stage_fn run;
    int8_t *window;        /* this stage's input rows: the chain's input for the first stage */
    int32_t in_row_bytes;  /* one row of this stage's input */
    int32_t out_row_bytes; /* one row of its output */
    int16_t in_h;          /* input rows of the whole layer */
    int16_t out_h;         /* output rows of the whole layer */
    int16_t filter_h;      /* input rows one output row reads (dilation included) */
    int16_t stride_h;
    int16_t pad_top;
    int16_t capacity; /* rows the window holds (at least filter_h); more rows, fewer moves */
} edgenn_stage;

#define EDGENN_STREAM_MAX_STAGES 32

/*
 * Runs a chain of `n` stages (at most EDGENN_STREAM_MAX_STAGES). stages[n] stands for the chain's
 * output: its window is the output tensor, its capacity the last stage's out_h (it never fills).
 */
void edgenn_stream(const edgenn_stage *stages, int32_t n);

#endif /* EDGENN_STREAM_H */
