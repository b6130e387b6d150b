"""FULLY_CONNECTED, int16x8: TFLM's reference_integer_ops::FullyConnected(PerChannel) on int16
activations, int8 weights and an int64 bias, summed in 64 bits and rescaled by the 64-bit
MultiplyByQuantizedMultiplier (edgenn.reference._int16)."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _int16
from edgenn.reference.base import OpContext
from edgenn.reference.fully_connected import Params, check_weights

NAME = "FULLY_CONNECTED"
TFLITE_OPTIONS = "FullyConnectedOptions"
CONSTANTS = ("biases", "quantization")
C_DEPENDS = ("int16x8",)


def prepare(ctx: OpContext) -> Params:
    inp, flt, out = ctx.input(0), ctx.input(1), ctx.output()
    _int16.check_bias64(ctx)
    batches, accum_depth, output_depth = check_weights(ctx, inp, flt, ctx.input(2), out, "int64")
    quant = _int16.conv_quant(ctx, inp, flt, out, output_depth)
    return Params(*quant, batches, accum_depth, output_depth, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].reshape(p.batches, p.accum_depth).astype(np.int64)
    w = inputs[1].reshape(p.output_depth, p.accum_depth).astype(np.int64)
    bias = inputs[2] if len(inputs) > 2 else None
    return _int16.requantize(x @ w.T, bias, p).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_fully_connected_i16_params",
        {
            "batches": p.batches,
            "accum_depth": p.accum_depth,
            "output_depth": p.output_depth,
            "act_min": p.act_min,
            "act_max": p.act_max,
            "bias": _int16.bias_array(e, p.output_depth),
            **_int16.requant_fields(p, e),
        },
    )
    return f"edgenn_fully_connected_i16({params}, {e.input(0)}, {e.input(1)}, {e.output()});"
