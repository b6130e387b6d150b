"""TFLite's integer arithmetic, reproduced bit for bit in NumPy (int64 lanes, C semantics).

These mirror tensorflow/lite/kernels/internal/common.h and quantization_util.cc as TFLM builds
them: double rounding in MultiplyByQuantizedMultiplier (SaturatingRoundingDoublingHighMul, then
RoundingDivideByPOT). Every function works elementwise on arrays and returns int64 arrays
holding int32 values, so kernels can chain them without overflow surprises.

Written here because no maintained Python library exposes these integer semantics.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def tflite_round(x: float) -> int:
    """std::round: half away from zero (not Python's banker's rounding)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """A real multiplier as (int32 multiplier in [2^30, 2^31), shift) with real = m * 2^(shift-31).

    Mirrors QuantizeMultiplier: frexp, then round the mantissa to Q31.
    """
    if real == 0.0:
        return 0, 0
    mantissa, shift = math.frexp(real)
    q = tflite_round(mantissa * (1 << 31))
    if q == (1 << 31):
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return int(q), int(shift)


def _c_div(a: np.ndarray, b: int) -> np.ndarray:
    """C integer division: truncates toward zero."""
    q = np.abs(a) // b
    return np.where(a < 0, -q, q)


def saturating_rounding_doubling_high_mul(a, b) -> np.ndarray:
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    overflow = (a == b) & (a == INT32_MIN)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = _c_div(ab + nudge, 1 << 31)
    return np.where(overflow, INT32_MAX, high).astype(np.int64)


def rounding_divide_by_pot(x, exponent) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return (x >> exponent) + (remainder > threshold).astype(np.int64)


def wrap_int32(x) -> np.ndarray:
    """Two's-complement wrap to int32, as C's int32 arithmetic does on every target we build for."""
    x = np.asarray(x, dtype=np.int64)
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def multiply_by_quantized_multiplier(x, multiplier, shift) -> np.ndarray:
    """MultiplyByQuantizedMultiplier(int32 x, int32 multiplier, int shift), double rounding."""
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.where(shift > 0, shift, 0)
    right = np.where(shift > 0, 0, -shift)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(wrap_int32(x << left), multiplier), right)


def multiply_by_quantized_multiplier_single_round(x, multiplier, shift) -> np.ndarray:
    """The TFLITE_SINGLE_ROUNDING variant: one rounding of the 64-bit product."""
    x = np.asarray(x, dtype=np.int64)
    total = 31 - np.asarray(shift, dtype=np.int64)
    rnd = np.int64(1) << (total - 1)
    return (x * np.asarray(multiplier, dtype=np.int64) + rnd) >> total


def activation_range(
    activation: str, scale: float, zero_point: int, qmin: int = -128, qmax: int = 127
) -> tuple[int, int]:
    """CalculateActivationRangeQuantized: the int8 clamp bounds for a fused activation."""

    def q(v: float) -> int:  # TFLM divides in float32 before rounding
        return zero_point + tflite_round(float(np.float32(v) / np.float32(scale)))

    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, q(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise ValueError(f"fused activation {activation} is not supported")
