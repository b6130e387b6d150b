"""MAX_POOL_2D, float32: TFLM's reference_ops::MaxPool (float): the largest tap inside the image
(from the lowest float up), then the fused activation's clamp."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl
from edgenn.reference import _spatial
from edgenn.reference.average_pool_2d import pool_window
from edgenn.reference.base import OpContext

NAME = "MAX_POOL_2D"
TFLM_RESOLVER = "AddMaxPool2D"
TFLITE_OPTIONS = "Pool2DOptions"
TYPES = ("float32",)


def prepare(ctx: OpContext) -> fl.WindowParams:
    inp, out = fl.float_operands(ctx, 0)
    return fl.window_params(ctx, pool_window(ctx, inp, out), inp, out)


def run(p: fl.WindowParams, inputs) -> np.ndarray:
    # Padding with the lowest float never changes a maximum, as TFLM's start value does not.
    taps = _spatial.patches(np.asarray(inputs[0], np.float32), p.window, np.float32(-fl.FLT_MAX))
    return fl.clamp(taps.max(axis=(3, 4)), p.act_min, p.act_max).reshape(p.output_shape)


def emit(p: fl.WindowParams, e) -> str:
    return fl.emit_window(p, e, "edgenn_max_pool_2d_f32", "NULL", weights=False)
