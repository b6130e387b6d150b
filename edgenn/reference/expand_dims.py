"""EXPAND_DIMS: TFLM copies the bytes; the output shape is the input's with a 1 inserted at `axis`.

A view in the arena plan (ALIAS), so it costs no code and no bytes: Conv1D converted with a
dynamic batch arrives as EXPAND_DIMS + CONV_2D + RESHAPE. TFLM reads the axis from a constant
int32 tensor (negative counts from the end, as in tf.expand_dims) and requires the output shape
to be exactly that insertion; it neither checks nor changes the quantization.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _alias as al
from edgenn.reference.base import OpContext

NAME = "EXPAND_DIMS"
TFLM_RESOLVER = "AddExpandDims"
TFLITE_OPTIONS = "ExpandDimsOptions"
ALIAS = True
TYPES = al.TYPES

Params = al.Params


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), *al.DTYPES)
    axis_t = ctx.require_dtype(ctx.input(1), "int32")
    out = ctx.require_dtype(ctx.output(), inp.dtype)
    axis_v = np.asarray(ctx.const(axis_t)).reshape(-1)
    if len(axis_t.shape) > 1 or axis_v.size != 1:
        raise ctx.fail(f"the axis must be one value, got a tensor of shape {axis_t.shape}")
    rank = len(inp.shape)
    axis = int(axis_v[0])
    resolved = axis + rank + 1 if axis < 0 else axis
    if not 0 <= resolved <= rank:
        raise ctx.fail(f"axis {axis} is out of range for a rank-{rank} input")
    expected = (*inp.shape[:resolved], 1, *inp.shape[resolved:])
    if tuple(out.shape) != expected:
        raise ctx.fail(f"output shape {out.shape} is not {inp.shape} with a 1 inserted at axis {axis} ({expected})")
    return al.params(out)


run = al.run


def emit(p: Params, e) -> str:
    return al.emit(p, e, "edgenn_expand_dims")
