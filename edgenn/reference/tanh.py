"""TANH, int8: TFLM's reference_integer_ops::Tanh (gemmlowp fixed point, no lookup table).

Same input handling as LOGISTIC (rescale to Q4.27, saturate outside the format's radius); the
Q0.31 result of gemmlowp::tanh is rounded to the fixed output quantization (scale 1/128,
zero point 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import fixedpoint as fp
from edgenn.reference import gemmlowp as gl
from edgenn.reference.base import OpContext
from edgenn.reference.logistic import INPUT_INTEGER_BITS, emit_table, prepare_saturating

NAME = "TANH"
TFLM_RESOLVER = "AddTanh"
IN_PLACE = True
CONSTANTS = ("tables",)

OUTPUT_FRACTIONAL_BITS = 7  # 2^31 / 2^24 = 2^7: Q0.31 → steps of 1/128
OUTPUT_SCALE = 1.0 / 128
OUTPUT_ZERO_POINT = 0


@dataclass(frozen=True)
class Params:
    input_zero_point: int
    input_range_radius: int  # |input - zero point| >= radius saturates
    input_multiplier: int  # input scale * 2^27 as frexp mantissa in Q31 ...
    input_left_shift: int  # ... and its exponent
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    return prepare_saturating(
        ctx,
        Params,
        OUTPUT_SCALE,
        OUTPUT_ZERO_POINT,
        "TFLM does not check it, but its arithmetic only means tanh for this one",
    )


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].astype(np.int64).reshape(-1) - p.input_zero_point
    inside = np.abs(x) < p.input_range_radius
    # Outside lanes get 0 so the rescaling cannot overflow; they are replaced below.
    x_q4 = fp.multiply_by_quantized_multiplier(np.where(inside, x, 0), p.input_multiplier, p.input_left_shift)
    y_q0 = gl.tanh(x_q4, INPUT_INTEGER_BITS)
    y = np.clip(gl.rounding_divide_by_pot(y_q0, 31 - OUTPUT_FRACTIONAL_BITS), -128, 127)
    y = np.where(inside, y, np.where(x <= -p.input_range_radius, -128, 127))
    return y.astype(np.int8).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    return emit_table(p, e, run, "tanh")
