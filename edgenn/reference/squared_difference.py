"""SQUARED_DIFFERENCE, int8: TFLM's squared_difference.cc (PrepareQuantized, SquaredDifference).

SUB's scheme with a smaller left shift (7, so that the square of the difference fits int32): both
inputs are shifted left by 7 bits, scaled by their share of twice the larger input scale and
subtracted; the difference is squared and scaled to the output by a multiplier that may exceed one
(twice the larger input scale squared over 2^14 times the output scale, in double). No fused
activation: the output is clamped to the int8 range only. The arithmetic shared with ADD and SUB is
in _binary_math.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _binary_math as bm
from edgenn.reference.base import OpContext

NAME = "SQUARED_DIFFERENCE"
TFLM_RESOLVER = "AddSquaredDifference"
TFLITE_OPTIONS = "SquaredDifferenceOptions"
IN_PLACE = True
C_DEPENDS = ("elementwise",)

LEFT_SHIFT = 7  # (255 << 7)^2 still fits int32

Params = bm.RescaledParams


def squared_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    diff = a - b
    return diff * diff


def prepare(ctx: OpContext) -> Params:
    return bm.prepare_rescaled(ctx, LEFT_SHIFT, squared=True)


def run(p: Params, inputs) -> np.ndarray:
    return bm.run_rescaled(p, inputs, squared_difference)


def emit(p: Params, e) -> str:
    return bm.emit_rescaled(p, e, "edgenn_squared_difference")
