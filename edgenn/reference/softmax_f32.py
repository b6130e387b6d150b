"""SOFTMAX, float32: TFLM's reference_ops::Softmax (float).

Along the last axis: the row maximum (from the lowest float), exp((x - max) * beta) per element
with beta as a float, their sum from 0.0f in order, then each exp divided by the sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.cfmt import c_float
from edgenn.reference import _float as fl
from edgenn.reference.base import OpContext

NAME = "SOFTMAX"
TFLM_RESOLVER = "AddSoftmax"
TFLITE_OPTIONS = "SoftmaxOptions"
IN_PLACE = True
TYPES = ("float32",)


@dataclass(frozen=True)
class Params:
    rows: int
    depth: int
    beta: float
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp, out = fl.same_size_unary(ctx)
    if not inp.shape or inp.shape[-1] < 1:
        raise ctx.fail(f"input of shape {inp.shape} has no last axis to normalise")
    depth = inp.shape[-1]
    beta = float(np.float32(getattr(ctx.options, "beta", 1.0) if ctx.options is not None else 1.0))
    return Params(fl.size(inp.shape) // depth, depth, beta, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    x = np.asarray(inputs[0], np.float32).reshape(p.rows, p.depth)
    top = np.maximum(x.max(axis=1, keepdims=True), np.float32(-fl.FLT_MAX))
    with np.errstate(over="ignore"):
        e = np.exp((x - top) * np.float32(p.beta))
    total = np.zeros((p.rows, 1), np.float32)
    for c in range(p.depth):
        total += e[:, c : c + 1]
    return (e / total).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct("edgenn_softmax_f32_params", {"rows": p.rows, "depth": p.depth, "beta": c_float(p.beta)})
    return f"edgenn_softmax_f32({params}, {e.input(0)}, {e.output()});"
