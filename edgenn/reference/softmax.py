"""SOFTMAX, int8 → int8: TFLM's reference_ops::Softmax<int8_t, int8_t> (gemmlowp fixed point).

TFLM keeps its exp/reciprocal lookup tables for int16 inputs only; int8 input with int8 output
runs the fixed-point path: the input difference to the row maximum, scaled by beta into Q5.26,
goes through exp_on_negative_values, the Q12.19 sum through GetReciprocal, and the product is
rounded to the fixed output quantization (scale 1/256, zero point -128).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.errors import UnsupportedError
from edgenn.reference import _fixed_output as fo
from edgenn.reference import gemmlowp as gl
from edgenn.reference.base import OpContext

NAME = "SOFTMAX"
TFLM_RESOLVER = "AddSoftmax"
TFLITE_OPTIONS = "SoftmaxOptions"
IN_PLACE = True

SCALED_DIFF_INTEGER_BITS = 5  # exp's input is Q5.26: differences down to -32 after beta
ACCUMULATION_INTEGER_BITS = 12  # the sum of exps is Q12.19
OUTPUT_SCALE = 1.0 / 256
OUTPUT_ZERO_POINT = -128
# 1/sum is taken as scale * 2^-(12 - clz(sum)); the output shift 31 - 8 + that exponent must stay
# <= 31, so the Q12.19 sum must stay below 2^28, i.e. 512. A row of 512 or more entries can reach it
# (e.g. when they are all equal); TFLM then stops on a check. Sums that wrap int32 go negative and
# stop there too.
MAX_SUM_OF_EXPS = 512


@dataclass(frozen=True)
class Params:
    input_multiplier: int  # beta * input scale * 2^26 as a Q31 multiplier ...
    input_left_shift: int  # ... and its left shift (>= 0)
    diff_min: int  # differences below this contribute exactly 0
    depth: int  # length of the last axis, the one softmax normalizes over
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp = ctx.input(0)
    out = ctx.output()
    fo.reject_int16(ctx, inp, out)
    ctx.require_dtype(inp, "int8")
    ctx.require_dtype(out, "int8")
    if len(inp.shape) < 1:
        raise ctx.fail("SOFTMAX needs an input of rank 1 or more")
    if tuple(inp.shape) != tuple(out.shape):
        raise ctx.fail(f"input shape {inp.shape} and output shape {out.shape} differ")
    depth = int(inp.shape[-1])
    in_scale, _ = ctx.per_tensor(inp)
    # TFLM's Prepare rejects anything else.
    fo.require_output_quantization(ctx, out, OUTPUT_SCALE, OUTPUT_ZERO_POINT, "1/256")
    beta = getattr(ctx.options, "beta", 1.0) if ctx.options is not None else 1.0
    # TFLM holds both as float and widens them to double.
    beta, in_scale = float(np.float32(beta)), float(np.float32(in_scale))
    try:
        multiplier, left_shift = gl.preprocess_softmax_scaling(beta, in_scale, SCALED_DIFF_INTEGER_BITS)
    except ValueError as exc:
        raise ctx.fail(
            f"beta {beta} with input scale {in_scale} is too small for TFLM's int8 SOFTMAX ({exc})"
        ) from None
    # TFLM stores -1.0 * radius into an int: the negated radius, exactly.
    diff_min = -gl.calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift)
    return Params(multiplier, left_shift, diff_min, depth, tuple(out.shape))


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].reshape(-1, p.depth).astype(np.int64)
    diff = x - x.max(axis=1, keepdims=True)
    used = diff >= p.diff_min
    # Unused lanes get 0 so the arithmetic below stays in range; they are masked out after.
    rescaled = gl.multiply_by_quantized_multiplier_greater_than_one(
        np.where(used, diff, 0), p.input_multiplier, p.input_left_shift
    )
    exp = gl.exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS)  # Q0.31
    terms = np.where(used, gl.rescale(exp, 0, ACCUMULATION_INTEGER_BITS), 0)
    sum_of_exps = gl.wrap_int32(terms.sum(axis=1, keepdims=True))  # int32 accumulation wraps
    scale, num_bits_over_unit = gl.get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS)
    exponent = num_bits_over_unit + 31 - 8
    if np.any(exponent > 31):
        # TFLM's TFLITE_CHECK(exponent <= 31) aborts the program here; there is no output to match.
        raise UnsupportedError(
            None,
            f"SOFTMAX: a row of {p.depth} values has exps summing to {MAX_SUM_OF_EXPS} or more (as many "
            "near-equal maxima give); TFLM's int8 kernel cannot normalize it and aborts on a check",
        )
    unsat = gl.rounding_divide_by_pot(gl.mul(scale, exp), exponent)
    y = np.clip(unsat + OUTPUT_ZERO_POINT, -128, 127)
    return np.where(used, y, -128).astype(np.int8).reshape(p.output_shape)


C_DEPENDS = ("gemmlowp", "softmax_common")


def emit(p: Params, e) -> str:
    rows = int(np.prod(p.output_shape[:-1], dtype=np.int64)) if p.depth else 0
    params = e.struct(
        "edgenn_softmax_params",
        {
            "rows": rows,
            "depth": p.depth,
            "input_multiplier": p.input_multiplier,
            "input_left_shift": p.input_left_shift,
            "diff_min": p.diff_min,
        },
    )
    return f"edgenn_softmax({params}, {e.input(0)}, {e.output()});"
