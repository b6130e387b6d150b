"""BROADCAST_TO, int8: TFLM's reference_ops::BroadcastTo, the input codes repeated to a constant shape.

TFLM takes at most five dimensions and a constant 1-D `shape` (int32 here; TFLM also takes int64) equal to the output's;
the input is aligned with the output's trailing dimensions, each of its dimensions 1 or equal to
the output's. The codes are copied as they are, whatever the output quantization says. The C is a
strided copy (_strided_copy.py) that steps by 0 along the dimensions the input broadcasts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _strided_copy as sc
from edgenn.reference.base import OpContext

NAME = "BROADCAST_TO"
TFLM_RESOLVER = "AddBroadcastTo"
C_DEPENDS = ("strided_copy",)

MAX_RANK = 5  # broadcast_to.cc's kMaxDims


@dataclass(frozen=True)
class Params:
    output_shape: tuple[int, ...]
    walk: sc.Walk


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    shape_t = ctx.require_dtype(ctx.input(1), "int32")
    out = ctx.require_dtype(ctx.output(), "int8")
    if len(shape_t.shape) != 1:
        raise ctx.fail(f"the shape operand has {len(shape_t.shape)} dimensions; it must have 1")
    shape = tuple(int(v) for v in np.asarray(ctx.const(shape_t)).reshape(-1))
    if len(shape) > MAX_RANK:
        raise ctx.fail(f"an output of rank {len(shape)} is not supported (at most {MAX_RANK} dimensions)")
    lead = len(shape) - len(inp.shape)
    if lead < 0 or any(d not in (1, shape[lead + i]) for i, d in enumerate(inp.shape)):
        raise ctx.fail(f"input shape {inp.shape} does not broadcast to {list(shape)}")
    sc.require_output(ctx, out, shape, f"the shape operand's {list(shape)}")
    strides = [0] * lead + [s if d != 1 else 0 for d, s in zip(inp.shape, sc.row_major_strides(inp.shape), strict=True)]
    return Params(shape, sc.walk(zip(shape, strides, strict=True)))


def run(p: Params, inputs) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(inputs[0], dtype=np.int8), p.output_shape))


def emit(p: Params, e) -> str:
    return sc.emit("edgenn_broadcast_to", p.walk, e)
