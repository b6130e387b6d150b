"""CONCATENATION, int8: TFLM's ConcatenationPrepare + reference_ops::Concatenation.

TFLM's int8 kernel only moves bytes: its Prepare refuses any input whose scale or zero point
differs from the output's (the converter inserts a requantizing QUANTIZE before such inputs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.cfmt import c_brace
from edgenn.reference import _elementwise as ew
from edgenn.reference.base import OpContext

NAME = "CONCATENATION"
TFLM_RESOLVER = "AddConcatenation"
TFLITE_OPTIONS = "ConcatenationOptions"

MAX_INPUTS = 10


@dataclass(frozen=True)
class Params:
    axis: int
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    out = ctx.require_dtype(ctx.output(), "int8")
    n = len(ctx.op.inputs)
    if not 1 <= n <= MAX_INPUTS:
        raise ctx.fail(f"{n} inputs are not supported (1 to {MAX_INPUTS})")
    if ctx.activation() != "NONE":
        raise ctx.fail(f"fused activation {ctx.activation()} is not supported")
    rank = len(out.shape)
    axis = int(getattr(ctx.options, "axis", 0)) if ctx.options is not None else 0
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise ctx.fail(f"axis {axis} is out of range for the rank-{rank} output")
    total = 0
    for i in range(n):
        t = ctx.require_dtype(ctx.input(i), "int8")
        ew.check_rank(ctx, t)
        ew.require_same_quantization(ctx, t, out, "TFLM concatenates int8 codes without rescaling")
        if len(t.shape) != rank or any(
            d != o for j, (d, o) in enumerate(zip(t.shape, out.shape, strict=True)) if j != axis
        ):
            raise ctx.fail(f"input {t.shape} does not match the output {out.shape} outside axis {axis}")
        total += t.shape[axis]
    if total != out.shape[axis]:
        raise ctx.fail(f"inputs give {total} along axis {axis}, the output has {out.shape[axis]}")
    return Params(axis, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    return np.concatenate([np.asarray(x, dtype=np.int8) for x in inputs], axis=p.axis).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    inner = int(np.prod(p.output_shape[p.axis + 1 :], dtype=np.int64))
    sizes = [e.graph.tensors[i].shape[p.axis] * inner for i in e.op.inputs]
    pointers = [e.input(i) for i in range(len(e.op.inputs))]
    params = e.struct(
        "edgenn_concatenation_params",
        {
            "num_inputs": len(pointers),
            "outer": int(np.prod(p.output_shape[: p.axis], dtype=np.int64)),
            "inputs": c_brace(pointers),
            "copy_size": c_brace(int(s) for s in sizes),
        },
    )
    return f"edgenn_concatenation({params}, {e.output()});"
