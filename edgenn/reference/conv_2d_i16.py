"""CONV_2D, int16x8: TFLM's reference_integer_ops::ConvPerChannel on int16 activations, int8 weights
and an int64 bias, summed in 64 bits over the taps inside the input (zero point 0: padding adds
nothing) and rescaled by the 64-bit MultiplyByQuantizedMultiplier (edgenn.reference._int16)."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _int16, _spatial
from edgenn.reference.base import OpContext
from edgenn.reference.conv_2d import Params, check_geometry

NAME = "CONV_2D"
TFLITE_OPTIONS = "Conv2DOptions"
CONSTANTS = ("biases", "quantization")
C_DEPENDS = ("int16x8", "conv_common", "window_i16")


def prepare(ctx: OpContext) -> Params:
    return _int16.conv_prepare(ctx, check_geometry, Params, 0)


def run(p: Params, inputs) -> np.ndarray:
    taps = _spatial.patches(inputs[0].astype(np.int64), p.window, 0)  # (N, OH, OW, KH, KW, Cin)
    n, oh, ow, kh, kw, _ = taps.shape
    w = inputs[1].astype(np.int64)
    out_c, _, _, group_c = w.shape
    per_group = out_c // p.groups
    taps = taps.reshape(n * oh * ow, kh, kw, p.groups, group_c)
    acc = np.concatenate(
        [
            taps[..., g, :].reshape(n * oh * ow, -1) @ w[g * per_group : (g + 1) * per_group].reshape(per_group, -1).T
            for g in range(p.groups)
        ],
        axis=1,
    )
    bias = inputs[2] if len(inputs) > 2 else None
    return _int16.requantize(acc, bias, p).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    w = p.window
    out_c, _, _, group_c = e.graph.tensors[e.op.inputs[1]].shape
    kernel = {"filter_h": w.filter_h, "filter_w": w.filter_w, "group_c": group_c, "group_out": out_c // p.groups}
    params = e.struct("edgenn_conv_2d_i16_params", _int16.conv_fields(p, e, out_c, kernel))
    return f"edgenn_conv_2d_i16({params}, {e.input(0)}, {e.input(1)}, {e.output()});"
