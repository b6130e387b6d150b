"""LOGISTIC, int16x8: TFLM's reference_integer_ops::Logistic for int16, the lookup table and linear
interpolation the integer LSTM's gates use too (edgenn.reference._lstm).

The input (zero point 0) is brought to the table's steps of 1/(3 * 4096) by the multiplier and
shift TFLM's Prepare derives from its scale; the output is Q0.15 (scale 2^-15, zero point 0).
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _lstm
from edgenn.reference.base import OpContext

NAME = "LOGISTIC"
IN_PLACE = True
CONSTANTS = ("tables",)
C_DEPENDS = ("sigmoid_i16",)

Params = _lstm.Params


def prepare(ctx: OpContext) -> Params:
    # Only the scale 2^-12 counts as a power of two here (TANH also takes 2^-11).
    return _lstm.op_prepare(ctx, (0,))


def run(p: Params, inputs) -> np.ndarray:
    return _lstm.sigmoid(inputs[0], p.multiplier, p.shift).astype(np.int16).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    return _lstm.op_emit(p, e, "logistic_i16")
