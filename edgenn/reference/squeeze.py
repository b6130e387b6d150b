"""SQUEEZE: TFLM copies the bytes; the output tensor's shape already lacks the squeezed dims."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.graph.tflite import NUMPY_DTYPES
from edgenn.reference import _elementwise as ew
from edgenn.reference.base import OpContext

NAME = "SQUEEZE"
TFLM_RESOLVER = "AddSqueeze"
TFLITE_OPTIONS = "SqueezeOptions"
ALIAS = True

MAX_RANK = 8


@dataclass(frozen=True)
class Params:
    output_shape: tuple[int, ...]
    dtype: str


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8", "float32")
    out = ctx.require_dtype(ctx.output(), inp.dtype)
    ew.same_size(ctx, inp, out)
    raw = getattr(ctx.options, "squeezeDims", None)
    dims = [] if raw is None else [int(d) for d in raw]
    rank = len(inp.shape)
    ew.check_rank(ctx, inp, limit=MAX_RANK)
    axes = {d + rank if d < 0 else d for d in dims} if dims else {i for i, d in enumerate(inp.shape) if d == 1}
    if any(not 0 <= a < rank or inp.shape[a] != 1 for a in axes):
        raise ctx.fail(f"cannot squeeze dims {dims} of shape {inp.shape}")
    kept = [d for i, d in enumerate(inp.shape) if i not in axes]
    if len(out.shape) < len(kept) or any(o < k for o, k in zip(out.shape, kept, strict=False)):
        raise ctx.fail(f"squeezing dims {sorted(axes)} of {inp.shape} does not fit the output shape {out.shape}")
    return Params(out.shape, out.dtype)


def run(p: Params, inputs) -> np.ndarray:
    return np.asarray(inputs[0], dtype=NUMPY_DTYPES[p.dtype]).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    size = int(np.prod(p.output_shape, dtype=np.int64)) * np.dtype(NUMPY_DTYPES[p.dtype]).itemsize
    return f"edgenn_squeeze({e.input(0)}, {e.output()}, {size}u);"
