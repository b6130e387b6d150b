/*
 * Keyword-spotting harness around a generated frontend and a generated int8 model: reads int16 clips
 * from a file and, for each, computes the MFCC features (edgenn_frontend_compute), quantizes them to the
 * model's int8 input, runs the model and writes the label, the index of the largest output. Not part of
 * what a user links: the frontend and the model need no stdio.
 *
 *   kws_runner [CLIPS.bin [LABELS.bin [INPUTS.bin [OUTPUTS.bin]]]]
 *       defaults: clips.bin labels.bin inputs.bin outputs.bin; "-" for INPUTS or OUTPUTS writes no such file
 *
 * CLIPS.bin holds N clips of EDGENN_FRONTEND_CLIP_SAMPLES little-endian int16 samples. LABELS.bin gets
 * N int32 labels; INPUTS.bin the N x <PREFIX>_INPUT_SIZE int8 codes the model ran on, OUTPUTS.bin its
 * N x <PREFIX>_OUTPUT_SIZE outputs. The Cortex-M4 start-up passes no arguments, so there the defaults apply.
 * Exit status: 0, 2 (a file does not open), 3 (a write fails), 4 (the frontend does not initialise),
 * 10 + s (the model returns status s). On the host it prints the mean nanoseconds per clip to stderr.
 *
 * Built with -DEDGENN_NAME=<c name> -DEDGENN_PREFIX=<C NAME> -DEDGENN_OUT_T=<output C type>.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "edgenn_frontend.h"
#include EDGENN_HEADER /* "<name>.h", the generated model's header */

#define EDGENN_CAT_(a, b) a##b
#define EDGENN_CAT(a, b) EDGENN_CAT_(a, b)
#define MODEL_INPUT EDGENN_CAT(EDGENN_NAME, _input)
#define MODEL_RUN EDGENN_CAT(EDGENN_NAME, _run)
#define MODEL_OUTPUT EDGENN_CAT(EDGENN_NAME, _output)
#define IN_SIZE EDGENN_CAT(EDGENN_PREFIX, _INPUT_SIZE)
#define OUT_SIZE EDGENN_CAT(EDGENN_PREFIX, _OUTPUT_SIZE)
#define IN_SCALE EDGENN_CAT(EDGENN_PREFIX, _INPUT_SCALE)
#define IN_ZERO_POINT EDGENN_CAT(EDGENN_PREFIX, _INPUT_ZERO_POINT)

/* The model takes exactly the frontend's features: frames x coefficients, row-major. */
typedef char kws_input_matches_features[(IN_SIZE == EDGENN_FRONTEND_FEATURES) ? 1 : -1];

#if defined(EDGENN_HOST_TIMING)
#include <time.h>
#endif

#include "../targets/bench.h"

/* Instruction counters on the emulator count between two of these calls: begin..frontend_end is the
 * frontend and the quantization, model_begin..end the model and the argmax (between them the harness
 * writes the inputs). */
EDGENN_BENCH_MARKER(begin)
EDGENN_BENCH_MARKER(frontend_end)
EDGENN_BENCH_MARKER(model_begin)
EDGENN_BENCH_MARKER(end)

/*
 * One feature as the int8 code the model was evaluated on in Python (edgenn.evaluate.runners.quantize:
 * clip(round(x / scale) + zero_point, -128, 127) on float32 features): the quotient by the float32 scale
 * in float32, rounded to the nearest integer with ties to even, the zero point added, then saturated.
 * Quotients beyond +-512 saturate whatever the zero point, so they are clamped first, which keeps the
 * conversion to an integer defined; NaN becomes -128.
 */
static int8_t quantize_feature(float x) {
    float q = x / IN_SCALE;
    float frac;
    int32_t code;
    if (!(q > -512.0f)) {
        q = -512.0f;
    } else if (q > 512.0f) {
        q = 512.0f;
    }
    code = (int32_t)q; /* towards zero; exact, as is the fraction below, for |q| <= 512 */
    frac = q - (float)code;
    if (frac > 0.5f || (frac == 0.5f && (code & 1) != 0)) {
        ++code;
    } else if (frac < -0.5f || (frac == -0.5f && (code & 1) != 0)) {
        --code;
    }
    code += IN_ZERO_POINT;
    if (code < -128) {
        code = -128;
    } else if (code > 127) {
        code = 127;
    }
    return (int8_t)code;
}

/* Index of the largest output; the first one on ties, as numpy's argmax. */
static int32_t argmax(const EDGENN_OUT_T *out) {
    int32_t best = 0;
    int32_t i;
    for (i = 1; i < (int32_t)OUT_SIZE; ++i) {
        if (out[i] > out[best]) {
            best = i;
        }
    }
    return best;
}

static FILE *open_optional(const char *path) {
    return strcmp(path, "-") == 0 ? NULL : fopen(path, "wb");
}

static int16_t clip[EDGENN_FRONTEND_CLIP_SAMPLES];
static float features[EDGENN_FRONTEND_FEATURES];

int main(int argc, char **argv) {
    const char *clips_path = argc > 1 ? argv[1] : "clips.bin";
    const char *labels_path = argc > 2 ? argv[2] : "labels.bin";
    const char *inputs_path = argc > 3 ? argv[3] : "inputs.bin";
    const char *outputs_path = argc > 4 ? argv[4] : "outputs.bin";
    FILE *fin;
    FILE *flabels;
    FILE *finputs;
    FILE *foutputs;
    int status = 0;
    int failed = 0;
#if defined(EDGENN_HOST_TIMING)
    double seconds_frontend = 0.0, seconds_model = 0.0;
    long runs = 0;
#endif
    if (edgenn_frontend_init() != 0) {
        return 4;
    }
    fin = fopen(clips_path, "rb");
    flabels = fopen(labels_path, "wb");
    finputs = open_optional(inputs_path);
    foutputs = open_optional(outputs_path);
    if (fin == NULL || flabels == NULL || (finputs == NULL && strcmp(inputs_path, "-") != 0) ||
        (foutputs == NULL && strcmp(outputs_path, "-") != 0)) {
        return 2;
    }
    while (fread(clip, sizeof clip, 1, fin) == 1) {
        int8_t *input = MODEL_INPUT();
        int32_t label = -1;
        uint32_t i;
#if defined(EDGENN_HOST_TIMING)
        struct timespec t0, t1, t2;
        clock_gettime(CLOCK_MONOTONIC, &t0);
#endif
        edgenn_bench_begin();
        edgenn_frontend_compute(clip, features);
        for (i = 0; i < (uint32_t)IN_SIZE; ++i) {
            input[i] = quantize_feature(features[i]);
        }
        edgenn_bench_frontend_end();
#if defined(EDGENN_HOST_TIMING)
        clock_gettime(CLOCK_MONOTONIC, &t1);
        seconds_frontend += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
#endif
        /* Before the run: the model's arena reuses the input's bytes for its intermediate tensors. */
        if (finputs != NULL && fwrite(input, sizeof(int8_t), (size_t)IN_SIZE, finputs) != (size_t)IN_SIZE) {
            return 3;
        }
#if defined(EDGENN_HOST_TIMING)
        clock_gettime(CLOCK_MONOTONIC, &t1);
#endif
        edgenn_bench_model_begin();
        status = MODEL_RUN();
        if (status == 0) {
            label = argmax(MODEL_OUTPUT());
        }
        edgenn_bench_end();
#if defined(EDGENN_HOST_TIMING)
        clock_gettime(CLOCK_MONOTONIC, &t2);
        seconds_model += (double)(t2.tv_sec - t1.tv_sec) + 1e-9 * (double)(t2.tv_nsec - t1.tv_nsec);
        ++runs;
#endif
        if (status != 0) {
            return 10 + status;
        }
        if (fwrite(&label, sizeof label, 1, flabels) != 1) {
            return 3;
        }
        if (foutputs != NULL &&
            fwrite(MODEL_OUTPUT(), sizeof(EDGENN_OUT_T), (size_t)OUT_SIZE, foutputs) != (size_t)OUT_SIZE) {
            return 3;
        }
    }
    fclose(fin);
    failed |= fclose(flabels) != 0;
    failed |= finputs != NULL && fclose(finputs) != 0;
    failed |= foutputs != NULL && fclose(foutputs) != 0;
    if (failed) {
        return 3;
    }
#if defined(EDGENN_HOST_TIMING)
    if (runs > 0) {
        fprintf(stderr, "ns_per_clip_frontend %.1f\n", 1e9 * seconds_frontend / (double)runs);
        fprintf(stderr, "ns_per_clip_model %.1f\n", 1e9 * seconds_model / (double)runs);
        fprintf(stderr, "ns_per_clip %.1f\n", 1e9 * (seconds_frontend + seconds_model) / (double)runs);
    }
#endif
    return 0;
}
