"""CONCATENATION, int8: TFLM's ConcatenationPrepare + reference_ops::Concatenation.

TFLM's int8 kernel only moves bytes: its Prepare refuses any input whose scale or zero point
differs from the output's (the converter inserts a requantizing QUANTIZE before such inputs).
"""

from __future__ import annotations

from collections.abc import Callable
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


def concat_params(ctx: OpContext, dtype: str, check_input: Callable | None = None) -> Params:
    """ConcatenationPrepare's checks for `dtype` inputs and output; `check_input(t, out)` adds a per-input one."""
    out = ctx.require_dtype(ctx.output(), dtype)
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
        t = ctx.require_dtype(ctx.input(i), dtype)
        ew.check_rank(ctx, t)
        if check_input is not None:
            check_input(t, out)
        if len(t.shape) != rank or any(
            d != o for j, (d, o) in enumerate(zip(t.shape, out.shape, strict=True)) if j != axis
        ):
            raise ctx.fail(f"input {t.shape} does not match the output {out.shape} outside axis {axis}")
        total += t.shape[axis]
    if total != out.shape[axis]:
        raise ctx.fail(f"inputs give {total} along axis {axis}, the output has {out.shape[axis]}")
    return Params(axis, out.shape)


def prepare(ctx: OpContext) -> Params:
    def same_quantization(t, out) -> None:
        ew.require_same_quantization(ctx, t, out, "TFLM concatenates int8 codes without rescaling")

    return concat_params(ctx, "int8", same_quantization)


def run(p: Params, inputs) -> np.ndarray:
    return np.concatenate([np.asarray(x, dtype=np.int8) for x in inputs], axis=p.axis).reshape(p.output_shape)


def copy_params(e, outer: int, copy_sizes, cast: str = "") -> str:
    """An edgenn_concatenation_params over the op's inputs in order: per outer step, copy_sizes[i] bytes of input i
    (each input's pointer written after `cast`)."""
    pointers = [f"{cast}{e.input(i)}" for i in range(len(e.op.inputs))]
    return e.struct(
        "edgenn_concatenation_params",
        {
            "num_inputs": len(pointers),
            "outer": outer,
            "inputs": c_brace(pointers),
            "copy_size": c_brace(int(s) for s in copy_sizes),
        },
    )


def emit_call(p: Params, e, function: str, item_bytes: int = 1, cast: str = "") -> str:
    """The call `function(params, output)` joining values of `item_bytes` bytes each."""
    inner = item_bytes * int(np.prod(p.output_shape[p.axis + 1 :], dtype=np.int64))
    sizes = [e.graph.tensors[i].shape[p.axis] * inner for i in e.op.inputs]
    params = copy_params(e, int(np.prod(p.output_shape[: p.axis], dtype=np.int64)), sizes, cast)
    return f"{function}({params}, {e.output()});"


def emit(p: Params, e) -> str:
    return emit_call(p, e, "edgenn_concatenation")
