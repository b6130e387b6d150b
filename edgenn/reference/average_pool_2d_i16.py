"""AVERAGE_POOL_2D, int16x8: TFLM's reference_integer_ops::AveragePool on int16 codes, the int8
kernel's arithmetic (edgenn.reference.average_pool_2d: an int32 sum over the taps inside the input,
divided by their count with halves away from zero) with int16 clamps."""

from __future__ import annotations

from edgenn.reference import _int16, average_pool_2d
from edgenn.reference.base import OpContext

NAME = "AVERAGE_POOL_2D"
TFLITE_OPTIONS = "Pool2DOptions"
# The parameters are the int8 kernel's (average_pool_2d.h).
C_DEPENDS = ("average_pool_2d", "conv_common", "int16x8", "window_i16")

Params = average_pool_2d.Params
run = average_pool_2d.run


def prepare(ctx: OpContext) -> Params:
    _int16.activations(ctx, ctx.input(0), ctx.output())
    return average_pool_2d.prepare(ctx, "int16")


def emit(p: Params, e) -> str:
    params = e.struct("edgenn_average_pool_2d_params", average_pool_2d.pool_fields(p, e))
    return f"edgenn_average_pool_2d_i16({params}, {e.input(0)}, {e.output()});"
