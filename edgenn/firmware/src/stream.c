/*
 * Row-streamed execution of a chain of layers: twin of simulate() in edgenn/export/stream.py, which
 * plans the windows' sizes and where the chain's output may overlap its input from the same order of
 * calls. Each step runs the last stage whose next row has its input rows ready: a row is made only
 * once the stage after it needs it, and used as soon as it can be, so no window ever holds more than
 * the rows one output row reads. It runs once per inference, a few steps per row: compiled for size.
 */
#include "cold.h"
#include "stream.h"

#include <string.h>

/* The first input row output row `row` of stage `s` reads. */
static int32_t stream_first_row(const edgenn_stage *s, int32_t row) {
    const int32_t at = row * s->stride_h - s->pad_top;
    return at > 0 ? at : 0;
}

void edgenn_stream(const edgenn_stage *stages, int32_t n) {
    /* Per stage: output rows made, and the input row at the start of its window. */
    struct {
        int32_t done;
        int32_t base;
    } at[EDGENN_STREAM_MAX_STAGES + 1];
    const edgenn_stage *last = &stages[n - 1];
    int32_t i;
    memset(at, 0, sizeof at);
    while (at[n - 1].done < last->out_h) {
        const edgenn_stage *s = last;
        int32_t r;
        i = n - 1;
        /* Down to the last stage whose next row has its input rows ready. */
        while (i > 0) {
            const int32_t end = at[i].done * s->stride_h - s->pad_top + s->filter_h;
            if (at[i - 1].done >= (end < s->in_h ? end : s->in_h)) {
                break;
            }
            --i;
            --s;
        }
        r = at[i].done;
        if (r - at[i + 1].base >= s[1].capacity) {
            /* Full: move the rows the next stage still needs to the window's start. */
            const int32_t keep = stream_first_row(&s[1], at[i + 1].done);
            memmove(s[1].window, s[1].window + (keep - at[i + 1].base) * s->out_row_bytes,
                    (size_t)((r - keep) * s->out_row_bytes));
            at[i + 1].base = keep;
        }
        s->run(r, s->window + (stream_first_row(s, r) - at[i].base) * s->in_row_bytes,
               s[1].window + (r - at[i + 1].base) * s->out_row_bytes);
        at[i].done = r + 1;
    }
}
