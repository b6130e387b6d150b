"""CONV_2D, float32: TFLM's reference_ops::Conv (float).

Each output sums its products from 0.0f over the filter rows, columns and input channels in that
order (taps in the padding skipped), then adds the bias and clamps to the fused activation.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl
from edgenn.reference.base import OpContext
from edgenn.reference.conv_2d import macs  # noqa: F401  (the same count as int8)

NAME = "CONV_2D"
TFLM_RESOLVER = "AddConv2D"
TFLITE_OPTIONS = "Conv2DOptions"
CONSTANTS = ("biases",)
TYPES = ("float32",)

Params = fl.WindowParams


def prepare(ctx: OpContext) -> Params:
    inp, flt, out = fl.float_operands(ctx, 0, 1)
    ctx.const(flt)
    if len(inp.shape) != 4 or len(flt.shape) != 4 or len(out.shape) != 4:
        raise ctx.fail(f"expects 4-D input, weights and output, got {inp.shape}, {flt.shape}, {out.shape}")
    out_c, _, _, filter_c = flt.shape
    if filter_c != inp.shape[3]:
        raise ctx.fail(
            f"weights of depth {filter_c} for input depth {inp.shape[3]}: grouped convolution is not supported in float"
        )
    return fl.conv_window_params(ctx, inp, flt, out, out_c)


def run(p: Params, inputs) -> np.ndarray:
    taps = fl.conv_taps(p, inputs[0])  # (N, OH, OW, KH, KW, Cin)
    rows = int(np.prod(taps.shape[:3]))
    w = np.asarray(inputs[1], np.float32).reshape(p.out_c, -1)
    return fl.bias_and_clamp(p, fl.dot(taps.reshape(rows, -1), w), inputs)


def emit(p: Params, e) -> str:
    return fl.emit_conv(p, e, "edgenn_conv_2d_f32")
