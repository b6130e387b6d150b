"""MEAN, float32: TFLM's reference_ops::Mean (float), both its 4-D axes-1-and-2 loop and its general one.

Each output sums its inputs from 0.0f in the input's row-major order, then divides by their count
as a float.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _float as fl
from edgenn.reference import _reductions as rd
from edgenn.reference import mean
from edgenn.reference.base import OpContext

NAME = "MEAN"
TFLM_RESOLVER = "AddMean"
TFLITE_OPTIONS = "ReducerOptions"
TYPES = ("float32",)
C_DEPENDS = ("reductions",)


@dataclass(frozen=True)
class Params:
    axes: tuple[int, ...]
    count: int
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp, out = fl.float_operands(ctx, 0)
    axis = ctx.require_dtype(ctx.input(1), "int32")
    axes, count = mean.mean_axes(ctx, inp, axis, out)
    if ctx.for_c and len(rd.canonical_dims(inp.shape, axes)) > 5:
        raise ctx.fail(
            f"axes {list(axes)} of shape {inp.shape} leave more than two separate runs of reduced dimensions"
        )
    return Params(axes, count, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    x = np.asarray(inputs[0], np.float32)
    kept = [d for d in range(x.ndim) if d not in p.axes]
    x = x.transpose(*kept, *sorted(p.axes)).reshape(-1, p.count)  # each row in the input's order
    total = np.zeros(x.shape[0], np.float32)
    for k in range(p.count):
        total += x[:, k]
    return (total / np.float32(p.count)).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_mean_f32_params", {"layout": rd.layout(e.graph.tensors[e.op.inputs[0]].shape, p.axes), "count": p.count}
    )
    return f"edgenn_mean_f32({params}, {e.input(0)}, {e.output()});"
