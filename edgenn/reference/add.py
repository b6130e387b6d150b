"""ADD, int8: TFLM's CalculateOpDataAdd + reference_integer_ops::Add / BroadcastAdd6DSlow.

Both inputs are shifted left by 20 bits, scaled by their share of twice the larger input scale,
summed, then scaled to the output: three MultiplyByQuantizedMultiplierSmallerThanOneExp roundings
(the arithmetic shared with SUB and SQUARED_DIFFERENCE is in _binary_math).
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _binary_math as bm
from edgenn.reference.base import OpContext

NAME = "ADD"
TFLM_RESOLVER = "AddAdd"
TFLITE_OPTIONS = "AddOptions"
IN_PLACE = True
C_DEPENDS = ("elementwise",)

LEFT_SHIFT = 20  # int8 headroom: |input - zero point| <= 255 still fits int32 after the shift

Params = bm.RescaledParams


def prepare(ctx: OpContext) -> Params:
    return bm.prepare_rescaled(ctx, LEFT_SHIFT)


def run(p: Params, inputs) -> np.ndarray:
    return bm.run_rescaled(p, inputs, np.add)


def emit(p: Params, e) -> str:
    return bm.emit_rescaled(p, e, "edgenn_add")
