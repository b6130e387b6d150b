"""Sliding windows over NHWC tensors, shared by the convolution and pooling kernels.

TFLM loops over each output position and skips filter taps that fall outside the image. Padding
the input with a neutral value (zero after the input offset for convolutions, the int8 minimum for
max pooling, zero for average-pool sums) and taking strided views gives the same numbers without
Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from edgenn.graph.tflite import schema
from edgenn.reference.base import OpContext, RowWindow, compute_padding


@dataclass(frozen=True)
class Window:
    filter_h: int
    filter_w: int
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int
    out_h: int
    out_w: int


def window(ctx: OpContext, in_h: int, in_w: int, filter_h: int, filter_w: int, dilated: bool = True) -> Window:
    """Strides, dilation and padding from the op options, checked against the output tensor's shape."""
    o = ctx.options
    stride_h, stride_w = int(o.strideH), int(o.strideW)
    dil_h = int(getattr(o, "dilationHFactor", 1)) if dilated else 1
    dil_w = int(getattr(o, "dilationWFactor", 1)) if dilated else 1
    if min(stride_h, stride_w) < 1 or min(dil_h, dil_w) < 1:
        raise ctx.fail(f"strides ({stride_h}, {stride_w}) and dilations ({dil_h}, {dil_w}) must be at least 1")
    if min(filter_h, filter_w) < 1:
        raise ctx.fail(f"filter of {filter_h}x{filter_w} is empty")
    padding = ctx.padding()
    if padding not in ("SAME", "VALID"):
        raise ctx.fail(f"padding {padding} is not supported")
    out_h, pad_top = compute_padding(padding, in_h, filter_h, stride_h, dil_h)
    out_w, pad_left = compute_padding(padding, in_w, filter_w, stride_w, dil_w)
    out = ctx.output()
    if len(out.shape) != 4 or out.shape[1:3] != (out_h, out_w):
        raise ctx.fail(f"output shape {out.shape} does not match the {out_h}x{out_w} that {padding} padding gives")
    return Window(filter_h, filter_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, out_h, out_w)


def patches(x: np.ndarray, w: Window, fill) -> np.ndarray:
    """A (N, out_h, out_w, filter_h, filter_w, C) view of every filter tap, `fill` outside the image."""
    n, in_h, in_w, c = x.shape
    span_h = (w.out_h - 1) * w.stride_h + (w.filter_h - 1) * w.dilation_h + 1
    span_w = (w.out_w - 1) * w.stride_w + (w.filter_w - 1) * w.dilation_w + 1
    after_h = max(0, span_h - w.pad_top - in_h)
    after_w = max(0, span_w - w.pad_left - in_w)
    if w.pad_top or w.pad_left or after_h or after_w:
        x = np.pad(x, ((0, 0), (w.pad_top, after_h), (w.pad_left, after_w), (0, 0)), constant_values=fill)
    x = x[:, :span_h, :span_w, :]
    eff_h = (w.filter_h - 1) * w.dilation_h + 1
    eff_w = (w.filter_w - 1) * w.dilation_w + 1
    v = sliding_window_view(x, (eff_h, eff_w), axis=(1, 2))  # (N, H', W', C, eff_h, eff_w)
    v = v[:, :: w.stride_h, :: w.stride_w, :, :: w.dilation_h, :: w.dilation_w]
    return v.transpose(0, 1, 2, 4, 5, 3)


def valid_counts(in_size: int, filter_size: int, stride: int, pad: int, out_size: int) -> np.ndarray:
    """How many taps of each output position's window land inside the input, along one axis."""
    origin = np.arange(out_size) * stride - pad
    start = np.maximum(0, -origin)
    end = np.minimum(filter_size, in_size - origin)
    return np.maximum(end - start, 0)


def row_window(graph, op, filter_h: int, dilation: int = 1) -> RowWindow | None:
    """The input rows each output row of a sliding-window op reads (base.RowWindow), for int8
    batch-1 NHWC tensors; None otherwise."""
    inp, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if op.options is None or len(inp.shape) != 4 or len(out.shape) != 4 or inp.shape[0] != 1:
        return None
    if inp.dtype != "int8" or out.dtype != "int8" or min(filter_h, dilation, op.options.strideH) < 1:
        return None
    padding = "SAME" if op.options.padding == schema.Padding.SAME else "VALID"
    out_h, pad_top = compute_padding(padding, inp.shape[1], filter_h, op.options.strideH, dilation)
    if out_h != out.shape[1]:
        return None
    return RowWindow((filter_h - 1) * dilation + 1, int(op.options.strideH), pad_top)


def stripe(params, row: int, pad_top: int):
    """`params` (a dataclass with a `window`) for output row `row` alone, read from a band of input
    rows that starts `pad_top` rows of padding below the band's first row: what a row-streamed chain
    runs the op's kernel with. Per-output-row fields (`output_shape`, `counts`) shrink to that row."""
    w = replace(params.window, pad_top=pad_top, out_h=1)
    changes: dict = {"window": w}
    names = {f.name for f in fields(params)}
    if "output_shape" in names:
        n, _, ow, c = params.output_shape
        changes["output_shape"] = (n, 1, ow, c)
    if "counts" in names:
        changes["counts"] = params.counts[row : row + 1]
    return replace(params, **changes)
