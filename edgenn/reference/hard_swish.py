"""HARD_SWISH, int8: TFLM's HardSwishPrepare + reference_ops::HardSwish, x * relu6(x + 3) / 6 in int16.

The input minus its zero point, shifted left by 7 (the "hires" input), is taken two ways with
16-bit fixed-point multipliers: onto the output scale (before a final right shift) and onto the
"reluish" scale, where 3.0 is 32768, saturating, then mapped from [-1, 1] to [0, 1]. The two are
multiplied with a truncating doubling high multiply, shifted right by the output exponent, offset
by the output zero point and saturated to int8.

Every step is int16 arithmetic, reproduced with its quirks: gemmlowp's RoundingDivideByPOT on
int16 rounds any value to +-1 for a shift of 16 or more (its mask wraps to -1), and the
additions wrap to int16. The multipliers come from QuantizeMultiplier on quotients of the scales
(taken in double, as the TFLM the tests run does; its source writes float32), rounded to 16 bits
(DownScaleInt32ToInt16Multiplier).

The op is a pure function of one int8 code: the C looks each element up in a 256-entry table
this reference computes at export time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _unary_math as um
from edgenn.reference.base import OpContext
from edgenn.reference.logistic import emit_table

NAME = "HARD_SWISH"
TFLM_RESOLVER = "AddHardSwish"
IN_PLACE = True
CONSTANTS = ("tables",)

INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1


@dataclass(frozen=True)
class Params:
    input_zero_point: int
    output_zero_point: int
    reluish_multiplier: int  # int16
    reluish_exponent: int
    output_multiplier: int  # int16
    output_exponent: int  # <= 0
    output_shape: tuple[int, ...]


def down_scale_int32_to_int16_multiplier(multiplier: int) -> int:
    """DownScaleInt32ToInt16Multiplier: the Q31 multiplier rounded to Q15, capped at INT16_MAX."""
    if multiplier >= (1 << 31) - 1 - (1 << 15):
        return INT16_MAX
    return (multiplier + (1 << 15)) >> 16


def prepare(ctx: OpContext) -> Params:
    q = um.int8_quantization(ctx)
    # (1/128) * input_scale and 3/32768 are exact; the quotients are taken in double (um.ratio).
    hires_input_scale = np.float64(np.float32(q.input_scale)) / 128.0
    reluish_scale = 3.0 / 32768.0
    what = "input_scale / 128 / output_scale"
    output_multiplier, output_exponent = um.quantize_multiplier(
        ctx, um.ratio(hires_input_scale, np.float32(q.output_scale)), what
    )
    if output_exponent > 0:  # TFLM's Prepare: TF_LITE_ENSURE(output_multiplier_exponent <= 0)
        raise ctx.fail(f"the multiplier {what} is 1 or more; TFLM requires it below 1")
    reluish_multiplier, reluish_exponent = um.quantize_multiplier(
        ctx, um.ratio(hires_input_scale, reluish_scale), "input_scale / 128 / (3 / 32768)"
    )
    # TFLM shifts left by reluish_exponent - 1 through `1 << amount`, undefined from 31 on.
    if ctx.for_c and reluish_exponent > 31:
        raise ctx.fail(f"input scale {q.input_scale!r} is too large for TFLM's int16 arithmetic (a shift past 31)")
    return Params(
        q.input_zero_point,
        q.output_zero_point,
        down_scale_int32_to_int16_multiplier(reluish_multiplier),
        reluish_exponent,
        down_scale_int32_to_int16_multiplier(output_multiplier),
        output_exponent,
        q.output_shape,
    )


def wrap_int16(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    return ((x + (1 << 15)) & 0xFFFF) - (1 << 15)


def _c_div(a: np.ndarray, b: int) -> np.ndarray:
    """C integer division: truncates toward zero."""
    q = np.abs(a) // b
    return np.where(a < 0, -q, q)


def saturating_rounding_doubling_high_mul_int16(a, b) -> np.ndarray:
    """gemmlowp's int16 SaturatingRoundingDoublingHighMul: (a * b * 2) >> 16 rounded to nearest."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    high = wrap_int16(_c_div(ab + nudge, 1 << 15))
    return np.where((a == b) & (a == INT16_MIN), INT16_MAX, high)


def saturating_doubling_high_mul_int16(a, b) -> np.ndarray:
    """TFLite's SaturatingDoublingHighMul: the same, truncated toward zero instead of rounded."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    high = wrap_int16(_c_div(a * b, 1 << 15))
    return np.where((a == b) & (a == INT16_MIN), INT16_MAX, high)


def rounding_divide_by_pot_int16(x, exponent: int) -> np.ndarray:
    """gemmlowp's RoundingDivideByPOT on int16 (exponent 0..31): its mask, (1 << exponent) - 1 cast
    to int16, wraps to -1 from 16 on, which rounds every x >= 0 to 1 and every x < 0 to -1."""
    x = np.asarray(x, dtype=np.int64)
    mask = int(wrap_int16((1 << exponent) - 1))
    remainder = x & mask
    threshold = wrap_int16((mask >> 1) + (x < 0))
    return wrap_int16((x >> exponent) + (remainder > threshold))


def saturating_left_shift_int16(x, amount: int) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.int64) * (1 << amount), INT16_MIN, INT16_MAX)


def run(p: Params, inputs) -> np.ndarray:
    value = wrap_int16(inputs[0].astype(np.int64) - p.input_zero_point)
    hires = wrap_int16(value * (1 << 7))
    on_preshift_output_scale = saturating_rounding_doubling_high_mul_int16(hires, p.output_multiplier)
    # The relu-ish multiplier: hires rescaled so that 3.0 is 32768 (saturating), then into [0, 1].
    reluish = hires
    if p.reluish_exponent > 0:
        reluish = saturating_left_shift_int16(reluish, p.reluish_exponent - 1)
    reluish = saturating_rounding_doubling_high_mul_int16(reluish, p.reluish_multiplier)
    if p.reluish_exponent > 0:
        reluish = saturating_left_shift_int16(reluish, 1)
    if p.reluish_exponent < 0:
        reluish = rounding_divide_by_pot_int16(reluish, -p.reluish_exponent)
    reluish = wrap_int16((reluish + (1 << 15)) >> 1)
    preshift_output = saturating_doubling_high_mul_int16(reluish, on_preshift_output_scale)
    y = rounding_divide_by_pot_int16(preshift_output, -p.output_exponent)
    y = wrap_int16(y + p.output_zero_point)
    return np.clip(y, -128, 127).astype(np.int8).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    return emit_table(p, e, run, "hard_swish")
