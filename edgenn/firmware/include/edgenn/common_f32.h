/*
 * Shared by the float32 kernels (edgenn/reference/_float.py): TFLM's fused activation clamp, the
 * window of the convolutions and pools, and the broadcast walk of the two-input ops. Only float
 * models include it; they build with the target's FPU where it has one.
 */
#ifndef EDGENN_COMMON_F32_H
#define EDGENN_COMMON_F32_H

#include "edgenn.h"
#include "elementwise.h"

/* ActivationFunctionWithMinMax: std::min(std::max(x, lo), hi). */
EDGENN_INLINE float edgenn_act_f32(float x, float lo, float hi) {
    const float y = x < lo ? lo : x;
    return hi < y ? hi : y;
}

/* A window over an NHWC input: CONV_2D, DEPTHWISE_CONV_2D and the pools. */
typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t in_c;
    int32_t out_h;
    int32_t out_w;
    int32_t out_c;
    int32_t filter_h;
    int32_t filter_w;
    int32_t stride_h;
    int32_t stride_w;
    int32_t dilation_h;
    int32_t dilation_w;
    int32_t pad_top;
    int32_t pad_left;
    int32_t depth_multiplier;
    float act_min;
    float act_max;
    const float *bias; /* one per output channel; NULL for the pools */
} edgenn_window_f32;

/*
 * AVERAGE_POOL_2D (`max` 0) and MAX_POOL_2D (`max` 1) over the taps inside the image, as TFLM clips
 * each window: the sum from 0.0f divided by the tap count, or the largest tap from `lowest` up; then
 * the fused activation. An inlined caller's constant `max` keeps one of the two paths.
 */
EDGENN_INLINE void edgenn_pool_f32(const edgenn_window_f32 *p, const float *input, float *output, int max,
                                   float lowest) {
    int32_t b, oy, ox, c, fy, fx;
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t y0 = oy * p->stride_h - p->pad_top;
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t fy0 = y0 < 0 ? -y0 : 0;
                const int32_t fx0 = x0 < 0 ? -x0 : 0;
                const int32_t fy1 = p->filter_h < p->in_h - y0 ? p->filter_h : p->in_h - y0;
                const int32_t fx1 = p->filter_w < p->in_w - x0 ? p->filter_w : p->in_w - x0;
                for (c = 0; c < p->out_c; ++c) {
                    float total = 0.0f;
                    float count = 0.0f;
                    float best = lowest;
                    for (fy = fy0; fy < fy1; ++fy) {
                        for (fx = fx0; fx < fx1; ++fx) {
                            const float v = input[((b * p->in_h + y0 + fy) * p->in_w + x0 + fx) * p->in_c + c];
                            if (max) {
                                best = best < v ? v : best;
                            } else {
                                total += v;
                                count += 1.0f;
                            }
                        }
                    }
                    output[((b * p->out_h + oy) * p->out_w + ox) * p->out_c + c] =
                        edgenn_act_f32(max ? best : total / count, p->act_min, p->act_max);
                }
            }
        }
    }
}

/* ADD, SUB, MUL: how the output elements find their operands, and the fused activation. */
typedef struct {
    edgenn_ew_broadcast b;
    float act_min;
    float act_max;
} edgenn_binary_f32_params;

/* Where output element i reads input1 (*o1) and input2 (*o2), for every kind of broadcast plan. */
EDGENN_INLINE void edgenn_binary_f32_offsets(const edgenn_ew_broadcast *b, int32_t i, int32_t *o1, int32_t *o2) {
    if (b->kind == EDGENN_EW_FLAT) {
        *o1 = i;
        *o2 = i;
    } else if (b->kind == EDGENN_EW_REPEAT1) {
        *o1 = b->inner > 0 ? i % b->inner : 0;
        *o2 = i;
    } else if (b->kind == EDGENN_EW_REPEAT2) {
        *o1 = i;
        *o2 = b->inner > 0 ? i % b->inner : 0;
    } else {
        int32_t rest = i;
        int d;
        *o1 = 0;
        *o2 = 0;
        for (d = EDGENN_EW_RANK - 1; d >= 0; --d) {
            const int32_t at = rest % b->dims[d];
            rest /= b->dims[d];
            *o1 += at * b->stride1[d];
            *o2 += at * b->stride2[d];
        }
    }
}

#endif /* EDGENN_COMMON_F32_H */
