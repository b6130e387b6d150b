"""SLICE, int8: TFLM's reference_ops::Slice, the box begin .. begin + size of the input, codes as they are.

TFLM takes up to 5 dimensions and one begin and one size per input dimension (int32 or int64; a
size of -1 runs to the end of the dimension). It checks none of them against the input's bounds
and copies codes whatever the output quantization, so a box outside the input is refused here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _strided_copy as sc
from edgenn.reference.base import OpContext

NAME = "SLICE"
TFLM_RESOLVER = "AddSlice"
TFLITE_OPTIONS = "SliceOptions"

MAX_RANK = 5  # SlicePrepare's kMaxDim


@dataclass(frozen=True)
class Params:
    begin: tuple[int, ...]
    size: tuple[int, ...]
    walk: sc.Walk


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    begin_t = ctx.require_dtype(ctx.input(1), "int32", "int64")
    size_t = ctx.require_dtype(ctx.input(2), "int32", "int64")
    out = ctx.require_dtype(ctx.output(), "int8")
    rank = len(inp.shape)
    if not 1 <= rank <= MAX_RANK:
        raise ctx.fail(f"input of rank {rank} is not supported (1 to {MAX_RANK} dimensions)")
    if begin_t.dtype != size_t.dtype:
        raise ctx.fail(f"begin is {begin_t.dtype} and size {size_t.dtype}; TFLM needs both of one type")
    begin = [int(v) for v in np.asarray(ctx.const(begin_t)).reshape(-1)]
    size = [int(v) for v in np.asarray(ctx.const(size_t)).reshape(-1)]
    if len(begin_t.shape) != 1 or len(size_t.shape) != 1 or len(begin) != rank or len(size) != rank:
        raise ctx.fail(f"begin {begin} and size {size} need one entry per input dimension ({rank})")
    size = [d - b if s == -1 else s for d, b, s in zip(inp.shape, begin, size, strict=True)]
    if any(b < 0 or s < 0 or b + s > d for d, b, s in zip(inp.shape, begin, size, strict=True)):
        raise ctx.fail(f"the slice at {begin} of size {size} does not lie inside the input {inp.shape}")
    sc.require_output(ctx, out, tuple(size), f"the slice size {tuple(size)}")
    walk = sc.walk(zip(size, sc.row_major_strides(inp.shape), strict=True), sc.flat_index(inp.shape, begin))
    return Params(tuple(begin), tuple(size), walk)


def run(p: Params, inputs) -> np.ndarray:
    box = tuple(slice(b, b + s) for b, s in zip(p.begin, p.size, strict=True))
    return np.ascontiguousarray(np.asarray(inputs[0], dtype=np.int8)[box])


def emit(p: Params, e) -> str:
    return sc.emit("edgenn_slice", p.walk, e)


C_DEPENDS = ("strided_copy",)
