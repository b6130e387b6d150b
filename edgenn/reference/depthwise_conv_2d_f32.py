"""DEPTHWISE_CONV_2D, float32: TFLM's reference_ops::DepthwiseConv (float).

Output channel `ic * depth_multiplier + m` sums input channel ic times its filter from 0.0f over
the filter rows then columns (taps in the padding skipped), then adds the bias and clamps.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl
from edgenn.reference.base import OpContext
from edgenn.reference.depthwise_conv_2d import macs  # noqa: F401  (the same count as int8)

NAME = "DEPTHWISE_CONV_2D"
TFLM_RESOLVER = "AddDepthwiseConv2D"
TFLITE_OPTIONS = "DepthwiseConv2DOptions"
CONSTANTS = ("biases",)
TYPES = ("float32",)

Params = fl.WindowParams


def prepare(ctx: OpContext) -> Params:
    inp, flt, out = fl.float_operands(ctx, 0, 1)
    ctx.const(flt)
    if len(inp.shape) != 4 or len(flt.shape) != 4 or len(out.shape) != 4 or flt.shape[0] != 1:
        raise ctx.fail(f"expects 4-D input, [1, H, W, C] weights and output, got {inp.shape}, {flt.shape}, {out.shape}")
    in_c, out_c = inp.shape[3], flt.shape[3]
    if in_c < 1 or out_c % in_c:
        raise ctx.fail(f"{out_c} output channels are not a multiple of the {in_c} input channels")
    return fl.conv_window_params(ctx, inp, flt, out, out_c, out_c // in_c)


def run(p: Params, inputs) -> np.ndarray:
    taps = fl.conv_taps(p, inputs[0])  # (N, OH, OW, KH, KW, Cin)
    taps = np.repeat(taps, p.depth_multiplier, axis=-1)  # channel ic * multiplier + m reads input ic
    w = np.asarray(inputs[1], np.float32)[0]  # (KH, KW, Cout)
    acc = np.zeros(taps.shape[:3] + (p.out_c,), np.float32)
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            acc += taps[:, :, :, i, j, :] * w[i, j]
    return fl.bias_and_clamp(p, acc, inputs)


def emit(p: Params, e) -> str:
    return fl.emit_conv(p, e, "edgenn_depthwise_conv_2d_f32")
