"""MAX_POOL_2D, int8: TFLM's reference_integer_ops::MaxPool."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _spatial
from edgenn.reference import fixedpoint as fp
from edgenn.reference.average_pool_2d import check_same_quantization, pool_window
from edgenn.reference.base import OpContext

NAME = "MAX_POOL_2D"
TFLM_RESOLVER = "AddMaxPool2D"
TFLITE_OPTIONS = "Pool2DOptions"


@dataclass(frozen=True)
class Params:
    act_min: int
    act_max: int
    window: _spatial.Window
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    win = pool_window(ctx, inp, out)
    scale, zp = check_same_quantization(ctx, inp, out)
    act_min, act_max = fp.activation_range(ctx.activation(), scale, zp)
    return Params(act_min, act_max, win, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    # TFLM starts each window at the int8 minimum, so padding with it never changes a maximum.
    taps = _spatial.patches(inputs[0], p.window, np.iinfo(np.int8).min)
    acc = taps.max(axis=(3, 4))
    return np.clip(acc, p.act_min, p.act_max).astype(np.int8).reshape(p.output_shape)


C_DEPENDS = ("conv_common",)


def emit(p: Params, e) -> str:
    from edgenn.reference.average_pool_2d import pool_fields

    params = e.struct("edgenn_max_pool_2d_params", pool_fields(p, e))
    return f"edgenn_max_pool_2d({params}, {e.input(0)}, {e.output()});"


def row_window(graph, op):
    return _spatial.row_window(graph, op, int(op.options.filterHeight)) if op.options else None
