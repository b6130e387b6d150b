/*
 * Test and benchmark harness around a generated frontend: reads int16 clips from a file, computes
 * each clip's MFCCs, writes them as float32. Not part of what a user links: the frontend needs no stdio.
 *
 *   frontend_runner [CLIPS.bin [FEATURES.bin]]     (defaults: clips.bin features.bin)
 *
 * CLIPS.bin holds N clips of EDGENN_FRONTEND_CLIP_SAMPLES little-endian int16 samples; FEATURES.bin
 * gets N x EDGENN_FRONTEND_FRAMES x EDGENN_FRONTEND_COEFFICIENTS float32, row-major.
 * Exit status: 0, 2 (a file does not open), 3 (a write fails), 4 (the frontend does not initialise).
 * On the host it prints the mean nanoseconds per clip to stderr.
 */
#include <stdint.h>
#include <stdio.h>

#include "edgenn_frontend.h"

#if defined(EDGENN_HOST_TIMING)
#include <time.h>
#endif

#include "../targets/bench.h"

EDGENN_BENCH_MARKER(begin)
EDGENN_BENCH_MARKER(end)

static int16_t clip[EDGENN_FRONTEND_CLIP_SAMPLES];
static float features[EDGENN_FRONTEND_FEATURES];

int main(int argc, char **argv) {
    const char *in_path = argc > 1 ? argv[1] : "clips.bin";
    const char *out_path = argc > 2 ? argv[2] : "features.bin";
    FILE *fin;
    FILE *fout;
#if defined(EDGENN_HOST_TIMING)
    double seconds = 0.0;
    long runs = 0;
#endif
    if (edgenn_frontend_init() != 0) {
        return 4;
    }
    fin = fopen(in_path, "rb");
    fout = fopen(out_path, "wb");
    if (fin == NULL || fout == NULL) {
        return 2;
    }
    while (fread(clip, sizeof clip, 1, fin) == 1) {
#if defined(EDGENN_HOST_TIMING)
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
#endif
        edgenn_bench_begin();
        edgenn_frontend_compute(clip, features);
        edgenn_bench_end();
#if defined(EDGENN_HOST_TIMING)
        clock_gettime(CLOCK_MONOTONIC, &t1);
        seconds += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        ++runs;
#endif
        if (fwrite(features, sizeof features, 1, fout) != 1) {
            return 3;
        }
    }
    fclose(fin);
    if (fclose(fout) != 0) {
        return 3;
    }
#if defined(EDGENN_HOST_TIMING)
    if (runs > 0) {
        fprintf(stderr, "ns_per_clip %.1f\n", 1e9 * seconds / (double)runs);
    }
#endif
    return 0;
}
