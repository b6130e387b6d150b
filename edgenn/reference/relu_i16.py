"""RELU, int16x8: TFLM's CalculateReluOpData<int16_t> + ReluQuantized, the int8 RELU's arithmetic
(edgenn.reference.relu: one rescale from the input to the output scale, then the clamp at the
output's zero) on int16 codes with zero points 0."""

from __future__ import annotations

from edgenn.reference import _int16, relu
from edgenn.reference.base import OpContext

NAME = "RELU"
# The parameters are the int8 kernel's (relu.h).
C_DEPENDS = ("relu", "elementwise", "int16x8")

Params = relu.Params
run = relu.run


def prepare(ctx: OpContext) -> Params:
    _int16.activations(ctx, ctx.input(0), ctx.output())
    return relu.prepare(ctx, "int16")


def emit(p: Params, e) -> str:
    return relu.emit(p, e, "edgenn_relu_i16")
