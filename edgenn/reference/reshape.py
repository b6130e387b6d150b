"""RESHAPE: TFLM copies the bytes; the output tensor's shape is the new shape."""

from __future__ import annotations

from edgenn.reference import _alias as al
from edgenn.reference import _elementwise as ew
from edgenn.reference.base import OpContext

NAME = "RESHAPE"
TFLM_RESOLVER = "AddReshape"
TFLITE_OPTIONS = "ReshapeOptions"
ALIAS = True
TYPES = al.TYPES

Params = al.Params


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), *al.DTYPES)
    out = ctx.require_dtype(ctx.output(), inp.dtype)
    ew.same_size(ctx, inp, out)
    return al.params(out)


run = al.run


def emit(p: Params, e) -> str:
    return al.emit(p, e, "edgenn_reshape")
