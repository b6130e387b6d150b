"""MUL, int16x8: TFLM's reference_integer_ops::Mul<int16_t> / BroadcastMul4DSlow, the int8 MUL's
arithmetic (edgenn.reference.mul) on int16 codes with zero points 0 and int16 clamps."""

from __future__ import annotations

from edgenn.reference import _int16, mul
from edgenn.reference.base import OpContext

NAME = "MUL"
TFLITE_OPTIONS = "MulOptions"
# The parameters are the int8 kernel's (mul.h).
C_DEPENDS = ("mul", "elementwise", "elementwise_i16", "int16x8")

Params = mul.Params
run = mul.run


def prepare(ctx: OpContext) -> Params:
    _int16.activations(ctx, ctx.input(0), ctx.input(1), ctx.output())
    return mul.prepare(ctx, "int16")


def emit(p: Params, e) -> str:
    return mul.emit(p, e, "edgenn_mul_i16", _int16.general_walk)
