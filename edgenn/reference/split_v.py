"""SPLIT_V: TFLM's split_v.cc, the input cut along one axis into pieces of given lengths.

Inputs are (input, size_splits, axis); the axis must be a constant int32 (TFLM's Prepare). TFLM
takes each piece's length from its output's shape and never reads `size_splits`, so neither does
this. The copy is SPLIT's (split.py): a strided copy per output, int8, int16 or float32 as bytes.
"""

from __future__ import annotations

from edgenn.reference import split
from edgenn.reference.base import OpContext

NAME = "SPLIT_V"
TFLM_RESOLVER = "AddSplitV"
TYPES = split.TYPES
TFLITE_OPTIONS = "SplitVOptions"

Params = split.Params
run = split.run


def prepare(ctx: OpContext) -> split.Params:
    inp = ctx.require_dtype(ctx.input(0), *split.DTYPES)
    if len(ctx.op.inputs) != 3:
        raise ctx.fail(f"{len(ctx.op.inputs)} inputs, not 3 (input, size_splits, axis)")
    return split.pieces(ctx, 0, split.const_axis(ctx, ctx.input(2), len(inp.shape)))


def emit(p: split.Params, e) -> str:
    return split.emit_pieces("edgenn_split_v", p, e)


C_DEPENDS = ("strided_copy",)
