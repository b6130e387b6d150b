"""STRIDED_SLICE, int8: TFLM's reference_ops::StridedSlice, codes copied as they are.

TFLM takes 1 to 4 dimensions and constant int32 begin/end/strides with one entry per input
dimension. It honours begin_mask, end_mask and shrink_axis_mask, but ignores ellipsis_mask,
new_axis_mask and `offset` (it zeroes them), so a model that sets any of those is refused here
rather than run with another meaning. Per axis, as its Eval computes them: a negative begin or end
counts from the end, both are clamped to [0, dim] (stride > 0) or [-1, dim - 1] (stride < 0), a
masked begin/end takes the whole axis, and a shrunk axis reads the one element at begin.

Its Prepare checks the output shape against counts of its own (StartForAxis/StopForAxis, the
length rounded up in float); where those and Eval's loop disagree (a shrunk axis whose begin is
out of range or whose stride is negative, where Eval writes nothing) the model is refused too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _strided_copy as sc
from edgenn.reference.base import OpContext

NAME = "STRIDED_SLICE"
TFLM_RESOLVER = "AddStridedSlice"
TFLITE_OPTIONS = "StridedSliceOptions"

MAX_RANK = 4  # StridedSlicePrepare: "input dim should not exceed 4"
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True)
class Params:
    starts: tuple[int, ...]
    stops: tuple[int, ...]
    strides: tuple[int, ...]
    output_shape: tuple[int, ...]
    walk: sc.Walk


def _clamp(v: int, stride: int, dim: int) -> int:
    lo, hi = (0, dim) if stride > 0 else (-1, dim - 1)
    return min(max(v, lo), hi)


def eval_range(dim: int, begin: int, end: int, stride: int, masked_begin: bool, masked_end: bool, shrink: bool):
    """(start, stop) as StridedSliceStartForAxis/EndForAxis give them to Eval's loop."""
    start = _clamp(begin + dim if begin < 0 else begin, stride, dim)
    if masked_begin:
        start = 0 if stride > 0 else dim - 1
    if shrink:
        return start, start if start >= dim else start + 1
    stop = _clamp(end + dim if end < 0 else end, stride, dim)
    if masked_end:
        stop = dim if stride > 0 else -1
    return start, stop


def prepare_count(dim: int, begin: int, end: int, stride: int, masked_begin: bool, masked_end: bool, shrink: bool):
    """The length CheckOutputSize (StartForAxis/StopForAxis, a float ceil) gives an axis."""
    if dim == 0:
        start = stop = 0
    else:
        start = (INT_MIN if stride > 0 else INT_MAX) if masked_begin else begin
        start = _clamp(start + dim if start < 0 else start, stride, dim)
        stop = (INT_MAX if stride > 0 else INT_MIN) if masked_end else end
        stop = _clamp(stop + dim if stop < 0 else stop, stride, dim)
    if shrink:
        stop = start + 1
    return max(0, int(np.ceil(np.float32(stop - start) / np.float32(stride))))


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    indices = [ctx.require_dtype(ctx.input(i), "int32") for i in (1, 2, 3)]
    out = ctx.require_dtype(ctx.output(), "int8")
    rank = len(inp.shape)
    if not 1 <= rank <= MAX_RANK:
        raise ctx.fail(f"input of rank {rank} is not supported (1 to {MAX_RANK} dimensions)")
    o = ctx.options
    for field, what in (("ellipsisMask", "ellipsis_mask"), ("newAxisMask", "new_axis_mask")):
        if getattr(o, field, 0):
            raise ctx.fail(f"{what} {getattr(o, field)} is not supported (TFLM ignores it)")
    if getattr(o, "offset", False):
        raise ctx.fail("offset=True is not supported (TFLM ignores it)")
    begin, end, strides = ([int(v) for v in np.asarray(ctx.const(t)).reshape(-1)] for t in indices)
    if any(len(t.shape) != 1 for t in indices) or not len(begin) == len(end) == len(strides) == rank:
        raise ctx.fail(f"begin {begin}, end {end} and strides {strides} need one entry per input dimension ({rank})")
    if 0 in strides:
        raise ctx.fail(f"strides {strides} hold a 0")
    bits = (1 << rank) - 1  # TFLM never reads the bits of dimensions the input lacks
    masks = [int(getattr(o, f, 0)) & bits for f in ("beginMask", "endMask", "shrinkAxisMask")]
    expected: list[int] = []
    starts, stops, counts = [], [], []
    for i, d in enumerate(inp.shape):
        b_mask, e_mask, shrink = (bool(m >> i & 1) for m in masks)
        args = (int(d), begin[i], end[i], strides[i], b_mask, e_mask, shrink)
        start, stop = eval_range(*args)
        count = len(range(start, stop, strides[i]))
        want = 1 if shrink else prepare_count(*args)
        if count != want:
            raise ctx.fail(
                f"axis {i}: TFLM's Eval reads {count} elements where its Prepare sizes {want} "
                f"(begin {begin[i]}, end {end[i]}, stride {strides[i]}{', shrunk' if shrink else ''})"
            )
        if not shrink:
            expected.append(count)
        if not INT_MIN <= start + count * strides[i] <= INT_MAX:
            raise ctx.fail(f"axis {i}: stride {strides[i]} overflows TFLM's int index")
        starts.append(start)
        stops.append(stop)
        counts.append(count)
    # A shrunk axis counts 1, so `counts` holds a 0 exactly where `expected` does.
    sc.require_output(ctx, out, tuple(expected), f"the slice's shape {tuple(expected)}")
    in_strides = sc.row_major_strides(inp.shape)
    start = sc.flat_index(inp.shape, starts)
    walk = sc.walk(((c, s * k) for c, s, k in zip(counts, strides, in_strides, strict=True)), start)
    return Params(tuple(starts), tuple(stops), tuple(strides), out.shape, walk)


def run(p: Params, inputs) -> np.ndarray:
    ranges = [np.arange(a, b, s) for a, b, s in zip(p.starts, p.stops, p.strides, strict=True)]
    picked = np.asarray(inputs[0], dtype=np.int8)[np.ix_(*ranges)]
    return np.ascontiguousarray(picked).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    return sc.emit("edgenn_strided_slice", p.walk, e)


C_DEPENDS = ("strided_copy",)
