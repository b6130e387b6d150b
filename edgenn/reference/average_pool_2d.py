"""AVERAGE_POOL_2D, int8: TFLM's reference_integer_ops::AveragePool."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _spatial
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "AVERAGE_POOL_2D"
TFLM_RESOLVER = "AddAveragePool2D"
TFLITE_OPTIONS = "Pool2DOptions"


@dataclass(frozen=True)
class Params:
    act_min: int
    act_max: int
    window: _spatial.Window
    counts: np.ndarray  # int64 (out_h, out_w, 1): window taps inside the image; padding is not averaged in
    output_shape: tuple[int, ...]
    dtype: str = "int8"  # of the input and the output (int16 for the int16x8 AVERAGE_POOL_2D)


def check_same_quantization(ctx: OpContext, inp, out) -> tuple[float, int]:
    """TFLM pools raw codes, so it requires (and checks) matching input and output quantization."""
    in_scale, in_zp = ctx.per_tensor(inp)
    out_scale, out_zp = ctx.per_tensor(out)
    if abs(in_scale - out_scale) > 1e-6 or in_zp != out_zp:
        raise ctx.fail(f"input quantization ({in_scale}, {in_zp}) differs from the output's ({out_scale}, {out_zp})")
    return out_scale, out_zp


def pool_window(ctx: OpContext, inp, out) -> _spatial.Window:
    if len(inp.shape) != 4 or len(out.shape) != 4:
        raise ctx.fail(f"expects 4-D input and output, got {inp.shape} and {out.shape}")
    if out.shape[0] != inp.shape[0] or out.shape[3] != inp.shape[3]:
        raise ctx.fail(f"output shape {out.shape} does not match input {inp.shape}")
    o = ctx.options
    return _spatial.window(ctx, inp.shape[1], inp.shape[2], int(o.filterHeight), int(o.filterWidth), dilated=False)


def valid_counts(w: _spatial.Window, in_h: int, in_w: int) -> tuple[np.ndarray, np.ndarray]:
    """How many filter rows per output row, and columns per output column, lie inside the image."""
    rows = _spatial.valid_counts(in_h, w.filter_h, w.stride_h, w.pad_top, w.out_h)
    cols = _spatial.valid_counts(in_w, w.filter_w, w.stride_w, w.pad_left, w.out_w)
    return rows, cols


def prepare(ctx: OpContext, dtype: str = "int8") -> Params:
    inp = ctx.require_dtype(ctx.input(0), dtype)
    out = ctx.require_dtype(ctx.output(), dtype)
    win = pool_window(ctx, inp, out)
    scale, zp = check_same_quantization(ctx, inp, out)
    rows, cols = valid_counts(win, inp.shape[1], inp.shape[2])
    counts = (rows[:, None] * cols[None, :]).astype(np.int64)[:, :, None]
    if counts.min() < 1:
        raise ctx.fail("a pooling window lies entirely in the padding")
    act_min, act_max = fp.activation_range(ctx.activation(), scale, zp, np.iinfo(dtype).min, np.iinfo(dtype).max)
    return Params(act_min, act_max, win, counts, out.shape, dtype)


def run(p: Params, inputs) -> np.ndarray:
    taps = _spatial.patches(inputs[0].astype(np.int64), p.window, 0)
    acc = taps.sum(axis=(3, 4))
    half = p.counts // 2
    # C integer division truncates, so TFLM's two branches round halves away from zero.
    acc = np.where(acc > 0, (acc + half) // p.counts, -((half - acc) // p.counts))
    return np.clip(acc, p.act_min, p.act_max).astype(p.dtype).reshape(p.output_shape)


C_DEPENDS = ("conv_common",)


def pool_fields(p, e) -> dict[str, int]:
    """The window geometry both pooling kernels take."""
    w = p.window
    batches, in_h, in_w, channels = e.graph.tensors[e.op.inputs[0]].shape
    return {
        "batches": batches,
        "in_h": in_h,
        "in_w": in_w,
        "channels": channels,
        "out_h": w.out_h,
        "out_w": w.out_w,
        "filter_h": w.filter_h,
        "filter_w": w.filter_w,
        "stride_h": w.stride_h,
        "stride_w": w.stride_w,
        "pad_top": w.pad_top,
        "pad_left": w.pad_left,
        "act_min": p.act_min,
        "act_max": p.act_max,
    }


def emit(p: Params, e) -> str:
    params = e.struct("edgenn_average_pool_2d_params", pool_fields(p, e))
    return f"edgenn_average_pool_2d({params}, {e.input(0)}, {e.output()});"


def row_window(graph, op):
    return _spatial.row_window(graph, op, int(op.options.filterHeight)) if op.options else None
