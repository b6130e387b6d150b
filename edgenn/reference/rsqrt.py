"""RSQRT, int8: TFLM's PrepareAbsRsqrt + RsqrtEvalQuantized (elementwise.cc).

For v = input - input zero point, TFLM takes 1/sqrt(v) as a fixed-point multiplier and exponent
from GetInvSqrtQuantizedMultiplierExp (five Newton-Raphson steps in gemmlowp's Q3.28, times
sqrt(2)/2), applies it to 1 shifted left by 20, then brings that to the output scale with the
multiplier 1 / (sqrt(input_scale) * output_scale) and a right shift of 20 more, adds the output
zero point and saturates. v = 0 gives 127, the largest output.

A code below the input zero point (a negative input) makes TFLM's invoke fail ("Rsqrt is only
defined for positive values"); no C kernel here can fail, so this reference and the C give 127
there, as for 0.

The op is a pure function of one int8 code: the C looks each element up in a 256-entry table
this reference computes at export time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _unary_math as um
from edgenn.reference import fixedpoint as fp
from edgenn.reference import gemmlowp as gl
from edgenn.reference.base import OpContext
from edgenn.reference.logistic import emit_table

NAME = "RSQRT"
TFLM_RESOLVER = "AddRsqrt"
IN_PLACE = True
CONSTANTS = ("tables",)

K_SHIFT = 20  # TFLM's kShift: 1/sqrt(v) is first computed on a scale 2^20 finer


@dataclass(frozen=True)
class Params:
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    q = um.int8_quantization(ctx)
    # TFLM's source writes 1. / static_cast<double>(std::sqrt(input_scale) * output_scale), the
    # square root and product in float32, but the TFLM the tests run computes both in double.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        real = float(1.0 / (np.sqrt(np.float64(np.float32(q.input_scale))) * np.float64(np.float32(q.output_scale))))
    what = "1 / (sqrt(input_scale) * output_scale)"
    multiplier, shift = um.quantize_multiplier(ctx, real, what)
    # The rescaling shifts by shift - 20: a right shift past 31 is undefined in TFLM's
    # RoundingDivideByPOT, a left shift past 31 in its 1 << shift; no C reproduces either.
    if ctx.for_c and not -31 <= shift - K_SHIFT <= 31:
        raise ctx.fail(f"the multiplier {what} = {real!r} is outside [2^-12, 2^51), where TFLM's shifts are undefined")
    return Params(q.input_zero_point, q.output_zero_point, multiplier, shift, q.output_shape)


def inv_sqrt_quantized_multiplier_exp(v) -> tuple[np.ndarray, np.ndarray]:
    """GetInvSqrtQuantizedMultiplierExp(v, kReverseShift = -1) for 0 <= v < 2^29: the (multiplier,
    shift) pair TFLM hands MultiplyByQuantizedMultiplier, the shift already negated to a left shift."""
    v = np.asarray(v, dtype=np.int64)
    small = v <= 1  # 0 and 1 give INT32_MAX and shift 0
    v = np.where(small, 2, v)
    # Normalize into [2^27, 2^29) by pairs of bits, keeping one spare pair of headroom.
    pairs = (gl.count_leading_zeros(v) - 1) // 2 - 1
    right_shift = 11 - pairs
    v = v << (2 * pairs)
    half_input = gl.saturating_rounding_multiply_by_pot(v >> 1, -1)  # Q3.28
    half_three = (1 << 28) + (1 << 27)  # 1.5 in Q3.28
    x = np.full(v.shape, gl.one(3), dtype=np.int64)
    for _ in range(5):
        x3 = gl.rescale(gl.mul(gl.mul(x, x), x), 9, 3)
        x = gl.rescale(gl.sub(gl.mul(half_three, x), gl.mul(half_input, x3)), 6, 3)
    x = gl.mul(x, 1518500250)  # sqrt(2)/2 in Q0.31; the product stays Q3.28
    # A negative right shift becomes a left shift of the multiplier itself (it stays below 2^31).
    x = np.where(right_shift < 0, fp.wrap_int32(x << np.maximum(-right_shift, 0)), x)
    right_shift = np.maximum(right_shift, 0)
    multiplier = np.where(small, fp.INT32_MAX, x)
    return multiplier.astype(np.int64), np.where(small, 0, -right_shift).astype(np.int64)


def run(p: Params, inputs) -> np.ndarray:
    v = inputs[0].astype(np.int64) - p.input_zero_point
    inv_multiplier, inv_shift = inv_sqrt_quantized_multiplier_exp(np.maximum(v, 0))
    data = fp.multiply_by_quantized_multiplier(1, inv_multiplier, inv_shift + K_SHIFT)
    y = fp.multiply_by_quantized_multiplier(data, p.multiplier, p.shift - K_SHIFT)
    y = np.clip(fp.wrap_int32(y + p.output_zero_point), -128, 127)
    return np.where(v <= 0, 127, y).astype(np.int8).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    return emit_table(p, e, run, "rsqrt")
