"""gemmlowp's FixedPoint arithmetic and TFLite's helpers around it, bit for bit in NumPy.

TFLM computes int8 SOFTMAX, LOGISTIC and TANH with gemmlowp's fixed-point transcendental
functions (fixedpoint/fixedpoint.h) plus a few helpers from TFLite's common.h and
quantization_util.cc. No maintained Python library provides these integer semantics, so they
are written out here.

Conventions: a fixed-point value is its raw int32, held in int64 NumPy lanes; `integer_bits`
is gemmlowp's tIntegerBits (a Qm.n value with m integer bits and n = 31 - m fractional bits).
Additions and negations wrap like the int32 arithmetic the C code compiles to; multiplications
are SaturatingRoundingDoublingHighMul; every function returns int64 arrays of int32 values.
"""

from __future__ import annotations

import math

import numpy as np

from edgenn.reference.fixedpoint import (
    INT32_MAX,
    INT32_MIN,
    quantize_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    tflite_round,
    wrap_int32,
)

__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "add",
    "sub",
    "neg",
    "mul",
    "rounding_divide_by_pot",
    "saturating_rounding_doubling_high_mul",
    "saturating_rounding_multiply_by_pot",
    "rescale",
    "rounding_half_sum",
    "constant_pot",
    "one",
    "count_leading_zeros",
    "exp_on_interval_between_negative_one_quarter_and_0_excl",
    "exp_on_negative_values",
    "one_minus_x_over_one_plus_x_for_x_in_0_1",
    "one_over_one_plus_x_for_x_in_0_1",
    "tanh",
    "logistic",
    "get_reciprocal",
    "multiply_by_quantized_multiplier_greater_than_one",
    "calculate_input_radius",
    "preprocess_softmax_scaling",
    "frexp_multiplier",
]


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


# --- int32 primitives -------------------------------------------------------------------------


def add(a, b) -> np.ndarray:
    """int32 a + b; gemmlowp leaves overflow undefined, the targets we match wrap."""
    return wrap_int32(_i64(a) + _i64(b))


def sub(a, b) -> np.ndarray:
    return wrap_int32(_i64(a) - _i64(b))


def neg(a) -> np.ndarray:
    """-a; INT32_MIN stays INT32_MIN, as two's complement negation leaves it."""
    return wrap_int32(-_i64(a))


def mul(a, b) -> np.ndarray:
    """FixedPoint a * b: integer bits add up, the raw result is SaturatingRoundingDoublingHighMul."""
    return saturating_rounding_doubling_high_mul(a, b)


def saturating_rounding_multiply_by_pot(x, exponent: int) -> np.ndarray:
    """x * 2^exponent: saturating for exponent > 0, rounding to nearest for exponent < 0."""
    x = _i64(x)
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    # The saturation bounds are symmetric (±threshold), so -2^(31-e) saturates to INT32_MIN even
    # though its exact product is representable; the value is the same either way.
    threshold = (1 << (31 - exponent)) - 1
    shifted = wrap_int32(x << exponent)
    return np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN, shifted)).astype(np.int64)


def rescale(x, src_integer_bits: int, dst_integer_bits: int) -> np.ndarray:
    """gemmlowp::Rescale: change the number of integer bits, saturating or rounding the raw value."""
    return saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits)


def rounding_half_sum(a, b) -> np.ndarray:
    """(a + b) / 2 rounded half away from zero, computed in 64 bits (C division truncates)."""
    s = _i64(a) + _i64(b)
    t = s + np.where(s >= 0, 1, -1)
    q = np.abs(t) // 2
    return np.where(t < 0, -q, q).astype(np.int64)


def constant_pot(exponent: int, integer_bits: int) -> int:
    """FixedPoint::ConstantPOT: the raw value of 2^exponent."""
    offset = 31 - integer_bits + exponent
    if not 0 <= offset < 31:
        raise ValueError(f"2^{exponent} is not representable with {integer_bits} integer bits")
    return 1 << offset


def one(integer_bits: int) -> int:
    """FixedPoint::One: with no integer bits 1.0 is not representable, gemmlowp uses INT32_MAX."""
    return INT32_MAX if integer_bits == 0 else 1 << (31 - integer_bits)


def count_leading_zeros(x) -> np.ndarray:
    """Leading zero bits of x taken as uint32; 32 for 0 (TFLite's CountLeadingZeros)."""
    x = _i64(x) & 0xFFFFFFFF
    n = np.zeros_like(x)
    for s in (16, 8, 4, 2, 1):
        top_clear = x < (1 << (32 - s))
        n = n + np.where(top_clear, s, 0)
        x = np.where(top_clear, x << s, x)
    return n + (x == 0)


# --- transcendental functions -----------------------------------------------------------------

# gemmlowp's constants, as raw Q0.31 (Q2.29 for the Newton-Raphson ones) integers.
_EXP_MINUS_ONE_EIGHTH = 1895147668  # exp(-1/8)
_ONE_THIRD = 715827883
_FORTY_EIGHT_OVER_17 = 1515870810  # Q2.29
_NEG_THIRTY_TWO_OVER_17 = -1010580540  # Q2.29
# exp(-2^k) for k = -2 .. 4: one factor per integer bit of the input's magnitude.
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535), (3, 720401), (4, 242))


def exp_on_interval_between_negative_one_quarter_and_0_excl(a) -> np.ndarray:
    """exp(a) for Q0.31 a in [-1/4, 0): a 4th-order Taylor expansion around -1/8."""
    x = add(a, constant_pot(-3, 0))
    x2 = mul(x, x)
    x3 = mul(x2, x)
    x4 = mul(x2, x2)
    x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2)
    poly = saturating_rounding_multiply_by_pot(add(mul(add(x4_over_4, x3), _ONE_THIRD), x2), -1)
    return add(_EXP_MINUS_ONE_EIGHTH, mul(_EXP_MINUS_ONE_EIGHTH, add(x, poly)))


def exp_on_negative_values(a, integer_bits: int) -> np.ndarray:
    """exp(a) as Q0.31 for a <= 0 held with `integer_bits` integer bits.

    Splits a into a multiple of 1/4 and a remainder in [-1/4, 0): the remainder goes through the
    Taylor polynomial, each set bit of the multiple multiplies in exp(-2^k).
    """
    a = _i64(a)
    fractional_bits = 31 - integer_bits
    quarter = constant_pot(-2, integer_bits)
    a_mod_quarter_minus_quarter = sub(a & (quarter - 1), quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_quarter, integer_bits, 0)
    )
    remainder = sub(a_mod_quarter_minus_quarter, a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (fractional_bits + exponent)
            result = np.where((remainder & bit) != 0, mul(result, multiplier), result)
    if integer_bits > 5:
        # Below -32 the barrel shifter has run out of factors; exp is 0 at this precision.
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, one(0), result).astype(np.int64)


def _newton_raphson_reciprocal(half_denominator) -> np.ndarray:
    """Q2.29 approximation of 1 / half_denominator for half_denominator in [1/2, 1)."""
    x = add(_FORTY_EIGHT_OVER_17, mul(half_denominator, _NEG_THIRTY_TWO_OVER_17))
    for _ in range(3):
        one_minus_dx = sub(one(2), mul(half_denominator, x))
        x = add(x, rescale(mul(x, one_minus_dx), 4, 2))
    return x


def one_minus_x_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """(1 - a) / (1 + a) as Q0.31 for Q0.31 a in (0, 1)."""
    x = _newton_raphson_reciprocal(rounding_half_sum(a, one(0)))
    return rescale(sub(x, one(2)), 2, 0)


def one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """1 / (1 + a) as Q0.31 for Q0.31 a in (0, 1)."""
    x = _newton_raphson_reciprocal(rounding_half_sum(a, one(0)))
    # Halving is exact (Q2.29 read as Q1.30); then back to Q0.31.
    return rescale(x, 1, 0)


def tanh(a, integer_bits: int) -> np.ndarray:
    """tanh(a) as Q0.31 via (1 - exp(-2|a|)) / (1 + exp(-2|a|))."""
    a = _i64(a)
    negative = a < 0
    n = np.where(negative, a, neg(a))  # -|a|
    # Doubling is exact: the same raw value read with one more integer bit.
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    return np.where(a == 0, 0, np.where(negative, neg(t), t)).astype(np.int64)


def logistic(a, integer_bits: int) -> np.ndarray:
    """1 / (1 + exp(-a)) as Q0.31, computed on |a| and mirrored for negative a."""
    a = _i64(a)
    positive = a > 0
    abs_a = np.where(positive, a, neg(a))
    if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(neg(abs_a), integer_bits))
    if_negative = sub(one(0), if_positive)
    return np.where(a == 0, 1 << 30, np.where(positive, if_positive, if_negative)).astype(np.int64)


# --- TFLite helpers ---------------------------------------------------------------------------


def get_reciprocal(x, x_integer_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """TFLite's GetReciprocal: (Q0.31 scale, num_bits_over_unit) with 1/x = scale * 2^-num_bits."""
    x = _i64(x)
    headroom_plus_one = count_leading_zeros(x)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    # uint32 arithmetic: shift the leading one to bit 31 and subtract it, i.e. x normalized - 1.
    shifted = ((x & 0xFFFFFFFF) << headroom_plus_one) & 0xFFFFFFFF
    shifted_minus_one = wrap_int32(shifted - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_minus_one), num_bits_over_unit


def multiply_by_quantized_multiplier_greater_than_one(x, multiplier: int, left_shift: int) -> np.ndarray:
    """The double-rounding MultiplyByQuantizedMultiplierGreaterThanOne (int32 shift, then high mul)."""
    return saturating_rounding_doubling_high_mul(wrap_int32(_i64(x) << left_shift), multiplier)


def calculate_input_radius(input_integer_bits: int, input_left_shift: int, total_signed_bits: int = 31) -> int:
    """CalculateInputRadius: the largest |input| whose rescaled value stays in range.

    TFLite evaluates floor(((2^ib - 1) * 2^(bits - ib)) / 2^shift) in double; every step is exact
    for shifts in [0, 62], so integer floor division gives the same number.
    """
    if not 0 <= input_left_shift <= 62:
        raise ValueError(f"input left shift {input_left_shift} is outside [0, 62]")
    numerator = ((1 << input_integer_bits) - 1) << (total_signed_bits - input_integer_bits)
    return numerator >> input_left_shift


def preprocess_softmax_scaling(beta: float, input_scale: float, input_integer_bits: int) -> tuple[int, int]:
    """PreprocessSoftmaxScaling (double rounding build): (multiplier, left shift) for beta * scale.

    The real multiplier is capped at 2^31 - 1: beyond that every non-maximal input's exp rounds to
    zero anyway. Raises ValueError where TFLite's QuantizeMultiplierGreaterThanOne check fails.
    """
    real = min(float(beta) * float(input_scale) * float(1 << (31 - input_integer_bits)), float((1 << 31) - 1))
    if not real > 1.0:
        raise ValueError(f"beta * input scale * 2^{31 - input_integer_bits} = {real!r} must exceed 1")
    multiplier, shift = quantize_multiplier(real)
    if shift < 0:
        raise ValueError(f"softmax input shift {shift} is negative")
    return multiplier, shift


def frexp_multiplier(real: float) -> tuple[int, int]:
    """(round(mantissa * 2^31), exponent) of frexp(real), as the LOGISTIC/TANH Prepare computes it.

    Unlike QuantizeMultiplier there is no renormalization when the mantissa rounds up to 2^31;
    for the float32 scales TFLite feeds it, mantissa * 2^31 is an exact integer below 2^31.
    """
    mantissa, exponent = math.frexp(real)
    return int(wrap_int32(tflite_round(mantissa * float(1 << 31)))), exponent
