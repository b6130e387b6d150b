"""FULLY_CONNECTED, float32: TFLM's reference_ops::FullyConnected (float), for cores with an FPU.

Each output sums its products from 0.0f along the input row, then adds the bias and clamps to the
fused activation's range (_float).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _float as fl
from edgenn.reference.base import OpContext
from edgenn.reference.conv_2d import check_bias
from edgenn.reference.fully_connected import macs  # noqa: F401  (the same count as int8)

NAME = "FULLY_CONNECTED"
TFLM_RESOLVER = "AddFullyConnected"
TFLITE_OPTIONS = "FullyConnectedOptions"
CONSTANTS = ("biases",)
TYPES = ("float32",)


@dataclass(frozen=True)
class Params:
    batches: int
    accum_depth: int
    output_depth: int
    act_min: float
    act_max: float
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp, flt, out = fl.float_operands(ctx, 0, 1)
    ctx.const(flt)
    if ctx.options is not None and getattr(ctx.options, "weightsFormat", 0) != 0:
        raise ctx.fail("shuffled weights are not supported")
    if len(flt.shape) != 2 or min(flt.shape) < 1:
        raise ctx.fail(f"weights of shape {flt.shape}: expected [outputs, inputs]")
    output_depth, accum_depth = flt.shape
    check_bias(ctx, ctx.input(2), output_depth, "float32")
    size = fl.size(inp.shape)
    if size % accum_depth:
        raise ctx.fail(f"input of {size} values does not divide into rows of {accum_depth}")
    if fl.size(out.shape) != size // accum_depth * output_depth:
        raise ctx.fail(f"output shape {out.shape} does not hold {size // accum_depth} rows of {output_depth}")
    return Params(size // accum_depth, accum_depth, output_depth, *fl.activation_range(ctx), out.shape)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].reshape(p.batches, p.accum_depth).astype(np.float32)
    w = inputs[1].reshape(p.output_depth, p.accum_depth).astype(np.float32)
    return fl.bias_and_clamp(p, fl.dot(x, w), inputs)


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_fully_connected_f32_params",
        {
            "batches": p.batches,
            "accum_depth": p.accum_depth,
            "output_depth": p.output_depth,
            **fl.act_fields(p.act_min, p.act_max),
            "bias": fl.bias_array(e, 2, p.output_depth),
        },
    )
    return f"edgenn_fully_connected_f32({params}, {e.input(0)}, {e.input(1)}, {e.output()});"
