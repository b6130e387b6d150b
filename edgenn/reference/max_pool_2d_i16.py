"""MAX_POOL_2D, int16x8: TFLM's reference_integer_ops::MaxPool on int16 codes (windows start at the
int16 minimum; the fused activation clamps in int16)."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _int16, _spatial
from edgenn.reference.average_pool_2d import check_same_quantization, pool_window
from edgenn.reference.base import OpContext
from edgenn.reference.max_pool_2d import Params

NAME = "MAX_POOL_2D"
TFLITE_OPTIONS = "Pool2DOptions"
# The parameters are the int8 kernel's (max_pool_2d.h).
C_DEPENDS = ("max_pool_2d", "conv_common", "int16x8", "window_i16")


def prepare(ctx: OpContext) -> Params:
    inp, out = ctx.input(0), ctx.output()
    _int16.activations(ctx, inp, out)
    win = pool_window(ctx, inp, out)
    scale, _ = check_same_quantization(ctx, inp, out)
    act_min, act_max = _int16.activation_range(ctx, scale)
    return Params(act_min, act_max, win, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    taps = _spatial.patches(inputs[0], p.window, _int16.INT16_MIN)
    return np.clip(taps.max(axis=(3, 4)), p.act_min, p.act_max).astype(np.int16).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    from edgenn.reference.average_pool_2d import pool_fields

    params = e.struct("edgenn_max_pool_2d_params", pool_fields(p, e))
    return f"edgenn_max_pool_2d_i16({params}, {e.input(0)}, {e.output()});"
