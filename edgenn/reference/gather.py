"""GATHER, int8: TFLM's gather.cc, slices of the input along one axis picked by int32 indices.

TFLM takes int8 (or float32) params and int32 indices only, an axis in [batch_dims, rank) and
batch_dims in [0, rank) (negative ones counted from the end of the input and the indices), the
first batch_dims dims of both equal. It copies codes as they are. Per batch and outer step it
copies, for each index, the run of the inner dims at that index along the axis.

An index outside [0, axis length) is an error TFLM checks only in debug builds: its release build
reads outside the input. Constant indices are checked here, and a model holding one is refused.
Indices computed at run time (from an ARG_MAX, say) cannot be: the reference and the C then write
zeros for an index out of range, where TFLM's output is undefined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _strided_copy as sc
from edgenn.reference.base import OpContext

NAME = "GATHER"
TFLM_RESOLVER = "AddGather"
TFLITE_OPTIONS = "GatherOptions"


@dataclass(frozen=True)
class Params:
    batch: int  # product of the first batch_dims dims
    outer: int  # product of the input dims from batch_dims up to the axis
    axis_size: int
    coord_size: int  # indices per batch
    inner: int  # product of the input dims after the axis
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    idx = ctx.require_dtype(ctx.input(1), "int32")
    out = ctx.require_dtype(ctx.output(), "int8")
    shape, coords = tuple(int(d) for d in inp.shape), tuple(int(d) for d in idx.shape)
    rank = len(shape)
    axis = int(getattr(ctx.options, "axis", 0))
    axis = axis + rank if axis < 0 else axis
    batch_dims = int(getattr(ctx.options, "batchDims", 0))
    batch_dims = batch_dims + len(coords) if batch_dims < 0 else batch_dims
    if not 0 <= axis < rank:
        raise ctx.fail(f"axis {axis} is out of range for the rank-{rank} input")
    if not 0 <= batch_dims <= axis or batch_dims > len(coords):
        raise ctx.fail(f"batch_dims {batch_dims} is not in [0, axis {axis}] and within the indices' rank")
    if shape[:batch_dims] != coords[:batch_dims]:
        raise ctx.fail(f"the first {batch_dims} dims of the input {shape} and the indices {coords} differ")
    expected = shape[:axis] + coords[batch_dims:] + shape[axis + 1 :]
    sc.require_output(ctx, out, expected, f"the input {shape} gathered by indices {coords} on axis {axis}")
    if idx.data is not None:
        values = np.asarray(idx.data).reshape(-1)
        bad = values[(values < 0) | (values >= shape[axis])]
        if bad.size:
            raise ctx.fail(f"index {int(bad[0])} is out of range for axis {axis} of length {shape[axis]}")

    def size(dims) -> int:
        return int(np.prod(dims, dtype=np.int64))

    return Params(
        size(shape[:batch_dims]),
        size(shape[batch_dims:axis]),
        shape[axis],
        size(coords[batch_dims:]),
        size(shape[axis + 1 :]),
        expected,
    )


def run(p: Params, inputs) -> np.ndarray:
    x = np.asarray(inputs[0], dtype=np.int8).reshape(p.batch, p.outer, p.axis_size, p.inner)
    idx = np.asarray(inputs[1], dtype=np.int64).reshape(p.batch, p.coord_size)
    valid = (idx >= 0) & (idx < p.axis_size)
    out = np.zeros((p.batch, p.outer, p.coord_size, p.inner), np.int8)
    for b in range(p.batch):
        out[b][:, valid[b]] = x[b][:, idx[b][valid[b]]]
    return out.reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_gather_params",
        {
            "batch": p.batch,
            "outer": p.outer,
            "axis_size": p.axis_size,
            "coord_size": p.coord_size,
            "inner": p.inner,
        },
    )
    return f"edgenn_gather({params}, {e.input(0)}, {e.input(1)}, {e.output()});"
