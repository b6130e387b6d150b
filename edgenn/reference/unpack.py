"""UNPACK: TFLM's unpack.cc, the input cut into its slices along one axis, that axis dropped.

`num` (the number of outputs TFLM writes) must be the op's output count and the axis's length:
TFLM's loop assumes both and reads elsewhere otherwise. The codes are copied as they are; the copy
is SPLIT's (split.py), a strided copy per output, int8, int16 or float32 as bytes.
"""

from __future__ import annotations

from edgenn.reference import split
from edgenn.reference.base import OpContext

NAME = "UNPACK"
TFLM_RESOLVER = "AddUnpack"
TYPES = split.TYPES
TFLITE_OPTIONS = "UnpackOptions"

Params = split.Params
run = split.run


def prepare(ctx: OpContext) -> split.Params:
    inp = ctx.require_dtype(ctx.input(0), *split.DTYPES)
    axis = split.normal_axis(ctx, int(getattr(ctx.options, "axis", 0)), len(inp.shape))
    num = int(getattr(ctx.options, "num", 0))
    if not num == len(ctx.op.outputs) == inp.shape[axis]:
        raise ctx.fail(
            f"num {num} is not both the output count {len(ctx.op.outputs)} and axis {axis} of the input {inp.shape}"
        )
    return split.pieces(ctx, 0, axis, keep_axis=False)


def emit(p: split.Params, e) -> str:
    return split.emit_pieces("edgenn_unpack", p, e)


C_DEPENDS = ("strided_copy",)
