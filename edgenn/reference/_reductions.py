"""What MEAN, SUM, REDUCE_MAX, ARG_MAX and ARG_MIN share: their constant axis operand and the reduced layout.

TFLM's reduce kernels (reduce_common.cc) resolve the axis list as reference_ops::ResolveAxis does:
negative axes count from the end, repeats are dropped. The C kernels see the input as
[outer, reduce0, middle, reduce1, inner] (canonical_dims), which holds any axes that merge
into at most two runs of reduced dimensions. MEAN and SUM also share QuantizedMeanOrSum's
arithmetic (QuantizedSumParams, quantized_sum_run) and MEAN's C kernel (quantized_sum_emit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.graph.tflite import Tensor
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

LAYOUT_DIMS = ("outer", "reduce0", "middle", "reduce1", "inner")


def axis_values(ctx: OpContext, axis: Tensor | None) -> list[int]:
    """The constant int32 axis operand's values, in order."""
    axis = ctx.require_dtype(axis, "int32")
    if int(np.prod(axis.shape, dtype=np.int64)) == 0:
        return []
    return [int(a) for a in np.asarray(ctx.const(axis)).reshape(-1).tolist()]


def resolve_axes(ctx: OpContext, rank: int, values: list[int]) -> tuple[int, ...]:
    """ResolveAxis: each axis in [-rank, rank) made non-negative, repeats dropped; returned sorted."""
    axes: list[int] = []
    for a in values:
        resolved = a + rank if a < 0 else a
        if not 0 <= resolved < rank:
            raise ctx.fail(f"axis {a} is out of range for a rank-{rank} input")
        if resolved not in axes:
            axes.append(resolved)
    return tuple(sorted(axes))


def reduced_shape(ctx: OpContext, inp: Tensor, out: Tensor, axes: tuple[int, ...], keep: bool) -> None:
    """The output holds one element per kept position (TFLM reads only the output's element count)."""
    kept = [1 if i in axes else d for i, d in enumerate(inp.shape)]
    expected = tuple(kept if keep else [d for i, d in enumerate(inp.shape) if i not in axes])
    if int(np.prod(out.shape, dtype=np.int64)) != int(np.prod(expected, dtype=np.int64)):
        raise ctx.fail(f"output shape {out.shape} does not match the reduced shape {expected}")


def reduced_count(inp: Tensor, axes: tuple[int, ...]) -> int:
    """How many input elements go into each output."""
    return int(np.prod([inp.shape[i] for i in axes], dtype=np.int64))


def keep_dims(ctx: OpContext) -> bool:
    """ReducerOptions.keepDims (false when the op has no options)."""
    return bool(getattr(ctx.options, "keepDims", False))


def canonical_dims(shape: tuple[int, ...], axes: tuple[int, ...]) -> list[int]:
    """[outer, reduce0, middle, reduce1, inner]: adjacent kept or reduced dimensions merged, size-1 ones dropped."""
    groups: list[list] = []  # [reduced, size]
    for i, d in enumerate(shape):
        if d == 1:
            continue
        if groups and groups[-1][0] == (i in axes):
            groups[-1][1] *= d
        else:
            groups.append([i in axes, d])
    if not groups or groups[0][0]:
        groups.insert(0, [False, 1])
    if groups[-1][0]:
        groups.append([False, 1])
    while len(groups) < 5:
        groups[:0] = [[False, 1], [True, 1]]
    return [size for _, size in groups]


def reduce_axes(ctx: OpContext) -> tuple[int, ...]:
    """Input 1's axes for a REDUCER (SUM, REDUCE_MAX): resolved, the output shape checked against them."""
    inp, out = ctx.input(0), ctx.output()
    if not inp.shape:
        raise ctx.fail("a scalar input is not supported")
    axes = resolve_axes(ctx, len(inp.shape), axis_values(ctx, ctx.input(1)))
    if any(d == 0 for d in inp.shape):
        raise ctx.fail(f"input shape {inp.shape} has an empty dimension")
    reduced_shape(ctx, inp, out, axes, keep_dims(ctx))
    if ctx.for_c and len(canonical_dims(inp.shape, axes)) > 5:
        raise ctx.fail(
            f"axes {list(axes)} of shape {inp.shape} leave more than two separate runs of reduced dimensions"
        )
    return axes


def layout(shape: tuple[int, ...], axes: tuple[int, ...]) -> str:
    """The C kernels' [outer, reduce0, middle, reduce1, inner] view of the input: an edgenn_reduce_layout
    initializer (edgenn/firmware/include/edgenn/reductions.h)."""
    dims = canonical_dims(shape, axes)
    return "{" + ", ".join(f".{name} = {d}" for name, d in zip(LAYOUT_DIMS, dims, strict=True)) + "}"


@dataclass(frozen=True)
class QuantizedSumParams:
    """MEAN / SUM: QuantizedMeanOrSum's rescale of the int32 sum over `axes` (MEAN's with 1/count folded in)."""

    axes: tuple[int, ...]
    count: int  # input elements summed into each output
    input_zp: int
    output_zp: int
    multiplier: int
    shift: int
    output_shape: tuple[int, ...]
    dtype: str = "int8"  # of the input and the output (int16 for the int16x8 MEAN)


def quantized_sum_run(p: QuantizedSumParams, inputs) -> np.ndarray:
    """The int32 sum (wrapping) minus input_zp * count, rescaled, plus the output zero point, clamped to
    int8 (or p.dtype)."""
    total = fp.wrap_int32(inputs[0].astype(np.int64).sum(axis=p.axes))
    shifted = fp.wrap_int32(total - p.input_zp * p.count)
    acc = fp.multiply_by_quantized_multiplier(shifted, p.multiplier, p.shift) + p.output_zp
    info = np.iinfo(p.dtype)
    return np.clip(acc, info.min, info.max).astype(p.dtype).reshape(p.output_shape)


def quantized_sum_emit(p: QuantizedSumParams, e, function: str) -> str:
    """A call of MEAN's C loop (edgenn_mean_params), which SUM's kernel runs too."""
    params = e.struct(
        "edgenn_mean_params",
        {
            "layout": layout(e.graph.tensors[e.op.inputs[0]].shape, p.axes),
            "zero_sum": int(fp.wrap_int32(p.input_zp * p.count)),
            "output_zp": p.output_zp,
            "multiplier": p.multiplier,
            "shift": p.shift,
        },
    )
    return f"{function}({params}, {e.input(0)}, {e.output()});"


@dataclass(frozen=True)
class ArgParams:
    """ARG_MAX / ARG_MIN: the input seen as [outer, axis_size, inner]; the output [outer, inner]."""

    outer: int
    axis_size: int
    inner: int
    output_shape: tuple[int, ...]


def arg_prepare(ctx: OpContext) -> ArgParams:
    """TFLM's arg_min_max.cc: int8 input, one int32 axis, int32 output (the only output type it runs)."""
    inp = ctx.require_dtype(ctx.input(0), "int8")
    out = ctx.output()
    if out.dtype != "int32":
        raise ctx.fail(f"output '{out.name}' is {out.dtype}; TFLM's {ctx.op.name} writes int32 indices only")
    values = axis_values(ctx, ctx.input(1))
    if len(values) != 1:
        raise ctx.fail(f"expects one axis, has {len(values)}")
    rank = len(inp.shape)
    if rank < 1:
        raise ctx.fail("a scalar input is not supported")
    (axis,) = resolve_axes(ctx, rank, values)
    expected = tuple(d for i, d in enumerate(inp.shape) if i != axis)
    if tuple(out.shape) != expected:
        raise ctx.fail(f"output shape {out.shape} is not the input shape {inp.shape} without axis {axis}")
    if any(d == 0 for d in inp.shape):
        raise ctx.fail(f"input shape {inp.shape} has an empty dimension")
    outer = int(np.prod(inp.shape[:axis], dtype=np.int64))
    inner = int(np.prod(inp.shape[axis + 1 :], dtype=np.int64))
    return ArgParams(outer, int(inp.shape[axis]), inner, tuple(out.shape))


def arg_run(p: ArgParams, x: np.ndarray, largest: bool) -> np.ndarray:
    """The first index of the largest (smallest) code along the axis, as TFLM's strict comparison keeps it."""
    x = np.asarray(x, dtype=np.int8).reshape(p.outer, p.axis_size, p.inner)
    found = x.argmax(axis=1) if largest else x.argmin(axis=1)
    return found.astype(np.int32).reshape(p.output_shape)


def arg_emit(p: ArgParams, e, function: str) -> str:
    params = e.struct("edgenn_arg_min_max_params", {"outer": p.outer, "axis_size": p.axis_size, "inner": p.inner})
    return f"{function}({params}, {e.input(0)}, {e.output()});"
