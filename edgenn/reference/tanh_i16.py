"""TANH, int16x8: TFLM's reference_integer_ops::Tanh for int16, tanh(x) = 2 sigmoid(2x) - 1 on the
lookup table and linear interpolation the integer LSTM uses too (edgenn.reference._lstm).

The input (zero point 0) is brought to the table's steps by the multiplier and shift TFLM's Prepare
derives from its scale; the output is Q0.15 (scale 2^-15, zero point 0).
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _lstm
from edgenn.reference.base import OpContext

NAME = "TANH"
IN_PLACE = True
CONSTANTS = ("tables",)
C_DEPENDS = ("sigmoid_i16",)

Params = _lstm.Params


def prepare(ctx: OpContext) -> Params:
    # The scales 2^-12 and 2^-11 count as powers of two (LOGISTIC takes only the first).
    return _lstm.op_prepare(ctx, (0, 1))


def run(p: Params, inputs) -> np.ndarray:
    return _lstm.tanh(inputs[0], p.multiplier, p.shift).astype(np.int16).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    return _lstm.op_emit(p, e, "tanh_i16")
