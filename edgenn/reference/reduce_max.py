"""REDUCE_MAX, int8: TFLM's EvalMaxHelper (reduce_common.cc), i.e. reference_ops::ReduceGeneric with max.

Each output starts at -128 and keeps the largest input code over the reduced axes; no rescale, so
TFLM requires the output quantized exactly like the input (equal float scales, equal zero points).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _reductions as rd
from edgenn.reference.base import OpContext

NAME = "REDUCE_MAX"
TFLM_RESOLVER = "AddReduceMax"
TFLITE_OPTIONS = "ReducerOptions"
C_DEPENDS = ("reductions",)


@dataclass(frozen=True)
class Params:
    axes: tuple[int, ...]
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    axes = rd.reduce_axes(ctx)
    in_scale, in_zp = ctx.per_tensor(inp)
    out_scale, out_zp = ctx.per_tensor(out)
    if np.float32(in_scale) != np.float32(out_scale) or in_zp != out_zp:
        raise ctx.fail(
            f"output quantization ({out_scale}, {out_zp}) differs from the input's ({in_scale}, {in_zp}); "
            "TFLM's int8 REDUCE_MAX needs them equal"
        )
    return Params(axes, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    return np.asarray(inputs[0], dtype=np.int8).max(axis=p.axes).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct("edgenn_reduce_max_params", {"layout": rd.layout(e.graph.tensors[e.op.inputs[0]].shape, p.axes)})
    return f"edgenn_reduce_max({params}, {e.input(0)}, {e.output()});"
