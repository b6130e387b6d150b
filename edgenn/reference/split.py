"""SPLIT: TFLM's split.cc, the input cut along one axis into equal pieces, codes copied as they are.

Inputs are (axis, input): the axis comes FIRST, a constant int32 scalar that TFLM's Prepare
requires to be constant; a negative axis counts from the end. TFLM takes the number of pieces from
the op's outputs (not from `num_splits`) and copies the codes whatever the outputs' quantization
says. It copies int8, int16 and float32 alike, and so does this, as bytes: a converter may leave a
SPLIT float32 between a DEQUANTIZE and QUANTIZEs (as in an unrolled LSTM's first step).

Each output is a strided copy of the input (_strided_copy.py), in bytes: per outer step, its run
of the axis times the inner dims, stepping by the whole axis. SPLIT_V and UNPACK share this
module's `pieces`; they differ only in where the axis and the piece sizes come from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.graph.tflite import NUMPY_DTYPES, Tensor
from edgenn.reference import _strided_copy as sc
from edgenn.reference.base import OpContext

NAME = "SPLIT"
TFLM_RESOLVER = "AddSplit"
TFLITE_OPTIONS = "SplitOptions"
TYPES = ("int8", "int16x8", "float32")

DTYPES = ("int8", "int16", "float32")  # copied as bytes


@dataclass(frozen=True)
class Params:
    source: int  # the op input holding the data
    dtype: str
    axis: int
    starts: tuple[int, ...]  # where each piece starts along the axis
    sizes: tuple[int, ...]  # its length along the axis
    output_shapes: tuple[tuple[int, ...], ...]
    walks: tuple[sc.Walk, ...]


def const_axis(ctx: OpContext, t: Tensor | None, rank: int) -> int:
    """A constant int32 axis tensor of one element, made non-negative; refused outside the input's rank."""
    values = np.asarray(ctx.const(ctx.require_dtype(t, "int32"))).reshape(-1)
    if values.size != 1:
        raise ctx.fail(f"axis tensor holds {values.size} values, not 1")
    return normal_axis(ctx, int(values[0]), rank)


def normal_axis(ctx: OpContext, axis: int, rank: int) -> int:
    found = axis + rank if axis < 0 else axis
    if not 0 <= found < rank:
        raise ctx.fail(f"axis {axis} is out of range for the rank-{rank} input")
    return found


def pieces(ctx: OpContext, source: int, axis: int, keep_axis: bool = True) -> Params:
    """Params for cutting op input `source` along `axis` into the op's outputs, in order: each
    output's length along the axis is its dim there (keep_axis) or 1, the axis dropped (UNPACK)."""
    inp = ctx.require_dtype(ctx.input(source), *DTYPES)
    shape = tuple(int(d) for d in inp.shape)
    outs = [ctx.require_dtype(ctx.output(i), inp.dtype) for i in range(len(ctx.op.outputs))]
    if not outs:
        raise ctx.fail("the op has no outputs")
    sizes = [int(o.shape[axis]) if keep_axis and len(o.shape) == len(shape) else 1 for o in outs]
    if sum(sizes) != shape[axis]:
        raise ctx.fail(f"outputs {[o.shape for o in outs]} do not cut the input {inp.shape} along axis {axis}")
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64)) * np.dtype(NUMPY_DTYPES[inp.dtype]).itemsize
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    starts, walks, shapes = [], [], []
    start = 0
    for i, (o, n) in enumerate(zip(outs, sizes, strict=True)):
        piece = shape[:axis] + ((n,) if keep_axis else ()) + shape[axis + 1 :]
        sc.require_output(ctx, o, piece, f"output {i}'s piece of the input {inp.shape}")
        starts.append(start)
        shapes.append(piece)
        walks.append(sc.walk([(outer, shape[axis] * inner), (n * inner, 1)], start * inner))
        start += n
    return Params(source, inp.dtype, axis, tuple(starts), tuple(sizes), tuple(shapes), tuple(walks))


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(1), *DTYPES)
    axis = const_axis(ctx, ctx.input(0), len(inp.shape))
    n = len(ctx.op.outputs)
    if n == 0 or inp.shape[axis] % n:
        raise ctx.fail(f"axis {axis} of the input {inp.shape} does not split into {n} equal pieces")
    p = pieces(ctx, 1, axis)
    if len(set(p.sizes)) != 1:
        raise ctx.fail(f"outputs of lengths {list(p.sizes)} along axis {axis} are not equal pieces")
    return p


def run(p: Params, inputs) -> tuple[np.ndarray, ...]:
    x = np.asarray(inputs[p.source], dtype=NUMPY_DTYPES[p.dtype])
    return tuple(
        np.ascontiguousarray(np.take(x, np.arange(a, a + n), axis=p.axis)).reshape(shape)
        for a, n, shape in zip(p.starts, p.sizes, p.output_shapes, strict=True)
    )


def emit_pieces(function: str, p: Params, e) -> str:
    """One strided copy per output, in bytes."""
    return "\n    ".join(sc.emit(function, w, e, output=i, source=p.source) for i, w in enumerate(p.walks))


def emit(p: Params, e) -> str:
    return emit_pieces("edgenn_split", p, e)


C_DEPENDS = ("strided_copy",)
