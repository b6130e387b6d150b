"""SUB, int8: TFLM's CalculateOpDataSub + reference_ops::Sub / BroadcastQuantSubSlow.

ADD's arithmetic with a difference in place of the sum: both inputs are shifted left by 20 bits,
scaled by their share of twice the larger input scale, subtracted, then scaled to the output: three
MultiplyByQuantizedMultiplierSmallerThanOneExp roundings, with the real multipliers divided in
double as ADD's (see _binary_math, which holds the arithmetic the two share).
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _binary_math as bm
from edgenn.reference.base import OpContext

NAME = "SUB"
TFLM_RESOLVER = "AddSub"
TFLITE_OPTIONS = "SubOptions"
IN_PLACE = True
C_DEPENDS = ("elementwise",)

LEFT_SHIFT = 20  # int8 headroom: |input - zero point| <= 255 still fits int32 after the shift

Params = bm.RescaledParams
row_window = bm.row_window  # a row-streamed chain may hold it (stream.py)
stripe = bm.stripe


def prepare(ctx: OpContext) -> Params:
    return bm.prepare_rescaled(ctx, LEFT_SHIFT)


def run(p: Params, inputs) -> np.ndarray:
    return bm.run_rescaled(p, inputs, np.subtract)


def emit(p: Params, e) -> str:
    return bm.emit_rescaled(p, e, "edgenn_sub")
