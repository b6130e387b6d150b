/* The walk of the int16x8 window kernels (convolutions and pools) over their output pixels. */
#ifndef EDGENN_WINDOW_I16_H
#define EDGENN_WINDOW_I16_H

#include "conv_common.h"
#include "edgenn.h"

/* One output pixel's window, for pixels numbered batch-major, then by row, then by column: the batch
 * it reads, the input row and column of its first tap (padding can put them outside the input) and the
 * taps [ky0, ky1) x [kx0, kx1) that land inside. */
typedef struct {
    int32_t batch;
    int32_t iy;
    int32_t ix;
    int32_t ky0;
    int32_t ky1;
    int32_t kx0;
    int32_t kx1;
} edgenn_window_i16;

EDGENN_INLINE edgenn_window_i16 edgenn_window_i16_at(int32_t pixel, int32_t out_h, int32_t out_w, int32_t in_h,
                                                     int32_t in_w, int32_t filter_h, int32_t filter_w,
                                                     int32_t stride_h, int32_t stride_w, int32_t dilation_h,
                                                     int32_t dilation_w, int32_t pad_top, int32_t pad_left) {
    edgenn_window_i16 w;
    w.batch = pixel / out_w / out_h;
    w.iy = pixel / out_w % out_h * stride_h - pad_top;
    w.ix = pixel % out_w * stride_w - pad_left;
    edgenn_conv_taps(w.iy, in_h, filter_h, dilation_h, &w.ky0, &w.ky1);
    edgenn_conv_taps(w.ix, in_w, filter_w, dilation_w, &w.kx0, &w.kx1);
    return w;
}

#endif /* EDGENN_WINDOW_I16_H */
