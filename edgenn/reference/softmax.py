"""SOFTMAX, int8 → int8 or int16: TFLM's reference_ops::Softmax<int8_t, int8_t or int16_t> (gemmlowp fixed point).

TFLM keeps its exp/reciprocal lookup tables for int16 inputs only; int8 input (to either output)
runs the fixed-point path: the input difference to the row maximum, scaled by beta into Q5.26,
goes through exp_on_negative_values, the Q12.19 sum through GetReciprocal, and the product is
rounded to the fixed output quantization: scale 1/256 and zero point -128 for int8, about 1/65536
(TFLM allows 0.1% off) and zero point -32768 for int16. int16 input is another module's.
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
# int16 output: TFLM's TF_LITE_ENSURE_NEAR(scale, 1/65536, 0.001/65536), in float32.
INT16_OUTPUT_SCALE = np.float32(1.0 / 65536)
INT16_OUTPUT_SCALE_TOLERANCE = np.float32(0.001) * np.float32(1.0 / 65536)
INT16_OUTPUT_ZERO_POINT = -32768
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
    output_bits: int = 8  # 8 or 16: the output type


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")  # int16 input: softmax_i16
    out = ctx.require_dtype(ctx.output(), "int8", "int16")
    if len(inp.shape) < 1:
        raise ctx.fail("SOFTMAX needs an input of rank 1 or more")
    if tuple(inp.shape) != tuple(out.shape):
        raise ctx.fail(f"input shape {inp.shape} and output shape {out.shape} differ")
    depth = int(inp.shape[-1])
    in_scale, _ = ctx.per_tensor(inp)
    # TFLM's Prepare rejects anything else.
    if out.dtype == "int16":
        require_int16_output_quantization(ctx, out)
    else:
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
    bits = 16 if out.dtype == "int16" else 8
    return Params(multiplier, left_shift, diff_min, depth, tuple(out.shape), bits)


def require_int16_output_quantization(ctx: OpContext, out) -> None:
    out_scale, out_zp = ctx.per_tensor(out)
    delta = abs(np.float32(out_scale) - INT16_OUTPUT_SCALE)
    if out_zp != INT16_OUTPUT_ZERO_POINT or delta > INT16_OUTPUT_SCALE_TOLERANCE:
        raise ctx.fail(
            f"int16 SOFTMAX output must have scale 1/65536 (within 0.1%) and zero point {INT16_OUTPUT_ZERO_POINT}, "
            f"has {out_scale} and {out_zp}"
        )


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
    exponent = num_bits_over_unit + 31 - p.output_bits
    if np.any(exponent > 31):
        # TFLM's TFLITE_CHECK(exponent <= 31) aborts the program here; there is no output to match.
        raise UnsupportedError(
            None,
            f"SOFTMAX: a row of {p.depth} values has exps summing to {MAX_SUM_OF_EXPS} or more (as many "
            "near-equal maxima give); TFLM's int8 kernel cannot normalize it and aborts on a check",
        )
    unsat = gl.rounding_divide_by_pot(gl.mul(scale, exp), exponent)
    info = np.iinfo(np.int16 if p.output_bits == 16 else np.int8)
    y = np.clip(unsat + int(info.min), info.min, info.max)
    return np.where(used, y, info.min).astype(info.dtype).reshape(p.output_shape)


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
    kernel = "edgenn_softmax_int16_output" if p.output_bits == 16 else "edgenn_softmax"
    return f"{kernel}({params}, {e.input(0)}, {e.output()});"
