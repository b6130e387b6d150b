"""LOG_SOFTMAX, int8 → int8: TFLM's log_softmax.cc, i.e. reference_ops::LogSoftmaxQuantized (gemmlowp fixed point).

Along the last axis: each difference to the row maximum, scaled by the input scale into Q5.26 (as
SOFTMAX does, beta 1), goes through exp_on_negative_values into a Q12.19 sum; log of that sum
(log_x_for_x_greater_than_or_equal_to_1, a Q5.26 result) is subtracted from each scaled
difference, which is rounded to the fixed output quantization (scale 16/256, zero point 127).
Differences at or below a cut-off (the larger of diff_min - 1 and the log-sum mapped back to input
codes by the reverse scaling divisor) give -128.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _fixed_output as fo
from edgenn.reference import fixedpoint as fp
from edgenn.reference import gemmlowp as gl
from edgenn.reference.base import OpContext

NAME = "LOG_SOFTMAX"
TFLM_RESOLVER = "AddLogSoftmax"
TFLITE_OPTIONS = "LogSoftmaxOptions"
IN_PLACE = True

INPUT_INTEGER_BITS = 5  # the scaled differences are Q5.26
ACCUMULATION_INTEGER_BITS = 12  # the sum of exps is Q12.19
OUTPUT_INTEGER_BITS = 4
OUTPUT_SCALE = 16.0 / 256
OUTPUT_ZERO_POINT = 127
# Each exp adds at most 1.0 (2^19 raw) to the Q12.19 sum: rows of 4096 or more can wrap it, and
# TFLM then takes the log of a negative number (shifting by -1, which C leaves undefined).
MAX_DEPTH = 4095

# log_x_for_x_greater_than_or_equal_to_1's constants, raw Q0.31.
_LOG_2 = 1488522236
_SQRT_SQRT_HALF = 1805811301
_SQRT_HALF = 1518500250
_ONE_QUARTER = 536870912
_ALPHA_N = 117049297
_ALPHA_D = 127690142
_ALPHA_I = 1057819769
_ALPHA_F = 638450708


@dataclass(frozen=True)
class Params:
    input_multiplier: int  # input scale * 2^26 as a Q31 multiplier ...
    input_left_shift: int  # ... and its left shift (>= 0)
    reverse_multiplier: int  # 2^(31 - left shift) / input_multiplier as a Q31 multiplier ...
    reverse_shift: int  # ... and its shift (<= 0)
    diff_min: int  # differences below this contribute no exp
    depth: int  # length of the last axis
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    if len(inp.shape) < 1:
        raise ctx.fail("LOG_SOFTMAX needs an input of rank 1 or more")
    if tuple(inp.shape) != tuple(out.shape):
        raise ctx.fail(f"input shape {inp.shape} and output shape {out.shape} differ")
    depth = int(inp.shape[-1])
    if not 1 <= depth <= MAX_DEPTH:
        raise ctx.fail(f"a last axis of {depth} is not supported (1 to {MAX_DEPTH}: TFLM's Q12.19 sum can overflow)")
    in_scale, _ = ctx.per_tensor(inp)
    # TFLM's Prepare rejects anything else.
    fo.require_output_quantization(ctx, out, OUTPUT_SCALE, OUTPUT_ZERO_POINT, "16/256")
    in_scale = float(np.float32(in_scale))
    try:
        multiplier, left_shift = gl.preprocess_softmax_scaling(1.0, in_scale, INPUT_INTEGER_BITS)
    except ValueError as exc:
        raise ctx.fail(f"input scale {in_scale} is too small for TFLM's int8 LOG_SOFTMAX ({exc})") from None
    # PreprocessLogSoftmaxScalingExp: the reverse scaling must be a multiplier below one (TFLM checks).
    reverse = float(1 << (31 - left_shift)) / float(multiplier)
    if not 0.0 < reverse < 1.0:
        raise ctx.fail(f"input scale {in_scale} is too small for TFLM's int8 LOG_SOFTMAX (reverse scale {reverse})")
    reverse_multiplier, reverse_shift = fp.quantize_multiplier(reverse)
    diff_min = -gl.calculate_input_radius(INPUT_INTEGER_BITS, left_shift)
    return Params(multiplier, left_shift, reverse_multiplier, reverse_shift, diff_min, depth, tuple(out.shape))


def _pot(x, exponent) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOTParam for exponents >= 0 (each lane its own)."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.broadcast_to(np.asarray(exponent, dtype=np.int64), x.shape)
    threshold = (np.int64(1) << (31 - exponent)) - 1
    shifted = fp.wrap_int32(x << exponent)
    saturated = np.where(x > threshold, gl.INT32_MAX, np.where(x < -threshold, gl.INT32_MIN, shifted))
    return np.where(exponent == 0, x, saturated).astype(np.int64)


def _saturate(x) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.int64), gl.INT32_MIN, gl.INT32_MAX)


def log_x_for_x_greater_than_or_equal_to_1(x, input_integer_bits: int, output_integer_bits: int) -> np.ndarray:
    """TFLite's log_x_for_x_greater_than_or_equal_to_1_impl: log(x) for x >= 1, raw int32 values.

    x is split as 2^k * r with r in [sqrt(1/2), 1) two ways (with and without a sqrt(1/2) premultiply),
    the tighter kept; log(r) comes from a rational approximation around sqrt(sqrt(1/2)).
    """
    accum_bits = output_integer_bits + 1  # one bit of headroom for the sum below
    shifted_quarter = int(gl.rescale(_ONE_QUARTER, 0, accum_bits))
    z_a = np.asarray(x, dtype=np.int64)
    z_a_headroom_plus_1 = gl.count_leading_zeros(z_a)
    r_a_tmp = _pot(z_a, z_a_headroom_plus_1 - 1)
    r_a = _pot(gl.mul(r_a_tmp, _SQRT_HALF), 1)
    z_a_pow_2_adj = _saturate(_pot(input_integer_bits - z_a_headroom_plus_1, 31 - accum_bits) + shifted_quarter)
    z_b = gl.mul(z_a, _SQRT_HALF)
    z_b_headroom = gl.count_leading_zeros(z_b) - 1
    r_b = _pot(z_a, z_b_headroom)
    z_b_pow_2_adj = _saturate(_pot(input_integer_bits - z_b_headroom, 31 - accum_bits) - shifted_quarter)
    r = np.minimum(r_a, r_b)
    z_pow_2_adj = np.maximum(z_a_pow_2_adj, z_b_pow_2_adj)
    p = gl.rounding_half_sum(r, _SQRT_SQRT_HALF)
    q = gl.sub(r, _SQRT_SQRT_HALF)
    q = gl.add(q, q)
    common_sq = gl.mul(q, q)
    num = gl.add(gl.mul(q, r), gl.mul(gl.mul(q, common_sq), _ALPHA_N))
    denom_minus_one = gl.add(gl.mul(p, gl.add(gl.add(_ALPHA_I, q), gl.mul(_ALPHA_D, common_sq))), gl.mul(_ALPHA_F, q))
    recip_denom = gl.one_over_one_plus_x_for_x_in_0_1(denom_minus_one)
    num_scaled = gl.rescale(num, 0, accum_bits)
    total = gl.add(gl.mul(z_pow_2_adj, _LOG_2), gl.mul(num_scaled, recip_denom))
    return gl.rescale(total, accum_bits, output_integer_bits)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].reshape(-1, p.depth).astype(np.int64)
    diff = x - x.max(axis=1, keepdims=True)
    used = diff >= p.diff_min
    # Unused lanes get 0 so the arithmetic below stays in range; they are masked out after.
    diff_q5 = fp.multiply_by_quantized_multiplier(np.where(used, diff, 0), p.input_multiplier, p.input_left_shift)
    exp = gl.exp_on_negative_values(diff_q5, INPUT_INTEGER_BITS)
    terms = np.where(used, gl.rescale(exp, 0, ACCUMULATION_INTEGER_BITS), 0)
    sum_of_exps = fp.wrap_int32(terms.sum(axis=1, keepdims=True))
    log_sum = log_x_for_x_greater_than_or_equal_to_1(sum_of_exps, ACCUMULATION_INTEGER_BITS, INPUT_INTEGER_BITS)
    cut = fp.multiply_by_quantized_multiplier(
        fp.wrap_int32(log_sum + gl.INT32_MIN), p.reverse_multiplier, p.reverse_shift
    )
    adjusted_diff_min = np.maximum(p.diff_min - 1, cut)
    kept = diff > adjusted_diff_min
    shift = 31 - INPUT_INTEGER_BITS - OUTPUT_INTEGER_BITS
    y = fp.rounding_divide_by_pot(fp.wrap_int32(diff_q5 - log_sum), shift) + 127
    return np.where(kept, np.clip(y, -128, 127), -128).astype(np.int8).reshape(p.output_shape)


C_DEPENDS = ("gemmlowp", "softmax_common")


def emit(p: Params, e) -> str:
    rows = int(np.prod(p.output_shape[:-1], dtype=np.int64))
    params = e.struct(
        "edgenn_log_softmax_params",
        {
            "rows": rows,
            "depth": p.depth,
            "input_multiplier": p.input_multiplier,
            "input_left_shift": p.input_left_shift,
            "reverse_multiplier": p.reverse_multiplier,
            "reverse_shift": p.reverse_shift,
            "diff_min": p.diff_min,
        },
    )
    return f"edgenn_log_softmax({params}, {e.input(0)}, {e.output()});"
