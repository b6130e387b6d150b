"""MEAN, int16x8: TFLM's EvalIntegerMean<int16_t>, the int8 MEAN's arithmetic (edgenn.reference.mean:
an int32 sum rescaled with 1/count folded into the multiplier) with int16 clamps."""

from __future__ import annotations

from edgenn.reference import _int16, mean
from edgenn.reference import _reductions as rd
from edgenn.reference.base import OpContext

NAME = "MEAN"
TFLITE_OPTIONS = "ReducerOptions"
# The parameters are the int8 kernel's (mean.h).
C_DEPENDS = ("mean", "conv_common", "reductions", "int16x8")

Params = mean.Params
run = mean.run


def prepare(ctx: OpContext) -> Params:
    _int16.activations(ctx, ctx.input(0), ctx.output())
    return mean.prepare(ctx, "int16")


def emit(p: Params, e) -> str:
    return rd.quantized_sum_emit(p, e, "edgenn_mean_i16")
