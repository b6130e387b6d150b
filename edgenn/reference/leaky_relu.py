"""LEAKY_RELU, int8: TFLM's CalculateOpDataLeakyRelu + reference_ops::QuantizeLeakyRelu.

Each input minus its zero point is requantized with one of two multipliers, input_scale /
output_scale where it is >= 0 and input_scale * alpha / output_scale below, then offset by the
output zero point and saturated to int8.

The ratios are formed in double from the float32 scales and alpha. TFLM's source writes them in
float32 (leaky_relu_common.cc), but the TFLM the tests run computes them in double, and where the
two differ in Q31 an output code can differ (tests/kernels/test_leaky_relu.py pins such models).

A negative alpha gives a negative multiplier: TFLM requantizes with its magnitude and negates
the result, which rounds ties differently from requantizing with the signed multiplier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _elementwise as ew
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "LEAKY_RELU"
TFLM_RESOLVER = "AddLeakyRelu"
TFLITE_OPTIONS = "LeakyReluOptions"
IN_PLACE = True


@dataclass(frozen=True)
class Params:
    input_zero_point: int
    output_zero_point: int
    identity_multiplier: int
    identity_shift: int
    alpha_multiplier: int  # the magnitude TFLM requantizes with; the sign is alpha_negative
    alpha_shift: int
    alpha_negative: bool
    output_shape: tuple[int, ...]


def _finite(ctx: OpContext, value: float, what: str) -> float:
    # QuantizeMultiplier has no answer here: TFLM would round an infinity or a NaN into an int64.
    if not np.isfinite(value):
        raise ctx.fail(f"the {what} multiplier is {value}; a finite one is needed")
    return value


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    in_scale, in_zp = ctx.per_tensor(inp)
    out_scale, out_zp = ctx.per_tensor(out)
    ew.check_rank(ctx, inp, out)
    ew.same_size(ctx, inp, out)
    # TFLM zero-fills the builtin params, so a missing options table means alpha 0.
    alpha = float(getattr(ctx.options, "alpha", 0.0) if ctx.options is not None else 0.0)
    s_in, s_out = float(np.float32(in_scale)), float(np.float32(out_scale))
    if s_out == 0.0:
        raise ctx.fail(f"tensor '{out.name}' has scale 0")
    identity = _finite(ctx, s_in / s_out, "identity")
    alpha_real = _finite(ctx, s_in * alpha / s_out, "alpha")
    identity_multiplier, identity_shift = fp.quantize_multiplier(identity)
    alpha_multiplier, alpha_shift = fp.quantize_multiplier(alpha_real)
    ew.require_c_shift(ctx, identity_shift, alpha_shift)
    # QuantizeMultiplier halves a mantissa that rounds to 2^31 but keeps one that rounds to -2^31,
    # whose negation TFLM wraps back to -2^31 (a ratio a hair above -2^k: (1 - 2^-23) * -(1 + 2^-23)).
    magnitude = int(fp.wrap_int32(-alpha_multiplier)) if alpha_multiplier < 0 else alpha_multiplier
    # TFLM keeps zero points as int32 and does all this arithmetic in int32, where a sum past its
    # limits wraps (that only happens for absurd zero points or a multiplier near 2^31; the C wraps
    # alike, in unsigned arithmetic).
    return Params(
        int(fp.wrap_int32(in_zp)),
        int(fp.wrap_int32(out_zp)),
        identity_multiplier,
        identity_shift,
        magnitude,
        alpha_shift,
        alpha_multiplier < 0,
        tuple(out.shape),
    )


def run(p: Params, inputs) -> np.ndarray:
    x = fp.wrap_int32(inputs[0].astype(np.int64) - p.input_zero_point)
    up = fp.multiply_by_quantized_multiplier(x, p.identity_multiplier, p.identity_shift)
    down = fp.multiply_by_quantized_multiplier(x, p.alpha_multiplier, p.alpha_shift)
    if p.alpha_negative:
        down = -down
    y = fp.wrap_int32(np.where(x >= 0, up, down) + p.output_zero_point)
    return np.clip(y, -128, 127).astype(np.int8).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_leaky_relu_params",
        {
            "size": int(np.prod(p.output_shape, dtype=np.int64)),
            "input_zero_point": p.input_zero_point,
            "output_zero_point": p.output_zero_point,
            "identity_multiplier": p.identity_multiplier,
            "identity_shift": p.identity_shift,
            "alpha_multiplier": p.alpha_multiplier,
            "alpha_shift": p.alpha_shift,
            "alpha_negative": int(p.alpha_negative),
        },
    )
    return f"edgenn_leaky_relu({params}, {e.input(0)}, {e.output()});"
