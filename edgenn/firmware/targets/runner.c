/*
 * Test and benchmark harness around a generated model: reads input vectors from a file, invokes
 * the model on each, writes the outputs. Not part of what a user links: the model needs no stdio.
 *
 *   runner [INPUTS.bin [OUTPUTS.bin [REPEAT]]]     (defaults: inputs.bin outputs.bin 1)
 *
 * Built with -DEDGENN_NAME=<c name> -DEDGENN_PREFIX=<C NAME> -DEDGENN_IN_T=... -DEDGENN_OUT_T=...
 * -DEDGENN_HEADER='"<name>.h"'.
 * On the host it prints the mean nanoseconds per inference to stderr.
 */
#include <stdio.h>
#include <stdlib.h>

#include EDGENN_HEADER

#define EDGENN_CAT_(a, b) a##b
#define EDGENN_CAT(a, b) EDGENN_CAT_(a, b)
#define INVOKE EDGENN_CAT(EDGENN_NAME, _invoke)
#define IN_SIZE EDGENN_CAT(EDGENN_PREFIX, _INPUT_SIZE)
#define OUT_SIZE EDGENN_CAT(EDGENN_PREFIX, _OUTPUT_SIZE)

#if defined(EDGENN_HOST_TIMING)
#include <time.h>
#endif

#include "bench.h"

EDGENN_BENCH_MARKER(begin)
EDGENN_BENCH_MARKER(end)

static EDGENN_IN_T input[IN_SIZE];
static EDGENN_OUT_T output[OUT_SIZE];

int main(int argc, char **argv) {
    const char *in_path = argc > 1 ? argv[1] : "inputs.bin";
    const char *out_path = argc > 2 ? argv[2] : "outputs.bin";
    long repeat = argc > 3 ? atol(argv[3]) : 1;
    long r;
    int status = 0;
    FILE *fin = fopen(in_path, "rb");
    FILE *fout = fopen(out_path, "wb");
#if defined(EDGENN_HOST_TIMING)
    double seconds = 0.0;
    long runs = 0;
#endif
    if (fin == NULL || fout == NULL) {
        return 2;
    }
    while (fread(input, sizeof input, 1, fin) == 1) {
#if defined(EDGENN_HOST_TIMING)
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
#endif
        edgenn_bench_begin();
        for (r = 0; r < repeat && status == 0; ++r) {
            status = INVOKE(input, output);
        }
        edgenn_bench_end();
#if defined(EDGENN_HOST_TIMING)
        clock_gettime(CLOCK_MONOTONIC, &t1);
        seconds += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        runs += repeat;
#endif
        if (status != 0) {
            return 10 + status;
        }
        if (fwrite(output, sizeof output, 1, fout) != 1) {
            return 3;
        }
    }
    fclose(fin);
    if (fclose(fout) != 0) {
        return 3;
    }
#if defined(EDGENN_HOST_TIMING)
    if (runs > 0) {
        fprintf(stderr, "ns_per_inference %.1f\n", 1e9 * seconds / (double)runs);
    }
#endif
    return 0;
}
