"""PACK, int8: TFLM's pack.cc, equal-shaped inputs stacked along a new axis, codes copied as they are.

This is CONCATENATION along an axis of length 1 inserted in every input, so the C is
CONCATENATION's (concatenation.h): per outer step, each input's run of the inner dims in turn.
TFLM writes `values_count` inputs, which must be the op's input count; like its concatenation it
moves bytes only, but unlike it TFLM's PACK checks no quantization at all, so neither does this.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import concatenation, split
from edgenn.reference._strided_copy import require_output
from edgenn.reference.base import OpContext

NAME = "PACK"
TFLM_RESOLVER = "AddPack"
TFLITE_OPTIONS = "PackOptions"


@dataclass(frozen=True)
class Params:
    axis: int
    outer: int  # product of the output dims before the axis
    inner: int  # product of the output dims after it: each input's run per outer step
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    out = ctx.require_dtype(ctx.output(), "int8")
    n = len(ctx.op.inputs)
    count = int(getattr(ctx.options, "valuesCount", 0))
    if count != n:
        raise ctx.fail(f"values_count {count} is not the input count {n}")
    if not 1 <= n <= concatenation.MAX_INPUTS:
        raise ctx.fail(f"{n} inputs are not supported (1 to {concatenation.MAX_INPUTS})")
    shape = tuple(int(d) for d in ctx.require_dtype(ctx.input(0), "int8").shape)
    for i in range(n):
        t = ctx.require_dtype(ctx.input(i), "int8")
        if tuple(t.shape) != shape:
            raise ctx.fail(f"input {i} {t.shape} differs from input 0 {shape}")
    axis = split.normal_axis(ctx, int(getattr(ctx.options, "axis", 0)), len(shape) + 1)
    expected = shape[:axis] + (n,) + shape[axis:]
    require_output(ctx, out, expected, f"{n} inputs {shape} stacked along axis {axis}")
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    return Params(axis, outer, int(np.prod(shape[axis:], dtype=np.int64)), expected)


def run(p: Params, inputs) -> np.ndarray:
    return np.stack([np.asarray(x, dtype=np.int8) for x in inputs], axis=p.axis).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = concatenation.copy_params(e, p.outer, [p.inner] * len(e.op.inputs))
    return f"edgenn_pack({params}, {e.output()});"


C_DEPENDS = ("concatenation",)
