"""L2_NORMALIZATION, int8: TFLM's L2NormPrepare + reference_integer_ops::L2Normalization.

Along the last dimension, the sum of squares of the inputs minus their zero point gives 1/sqrt(sum)
as a fixed-point multiplier and exponent (GetInvSqrtQuantizedMultiplierExp, shared with RSQRT);
each input minus the zero point is requantized with it, one exponent step finer by 7 bits, and
saturated to int8. The output is always in TFLM's fixed quantization, scale 1/128 and zero point 0:
TFLM does not read the output's own, so a model that declares another is refused (TFLM's codes
would not mean what it declares).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _elementwise as ew
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext
from edgenn.reference.rsqrt import inv_sqrt_quantized_multiplier_exp

NAME = "L2_NORMALIZATION"
TFLM_RESOLVER = "AddL2Normalization"
TFLITE_OPTIONS = "L2NormOptions"
IN_PLACE = True
C_DEPENDS = ("gemmlowp",)

OUTPUT_SCALE_BITS = 7  # TFLM's kOutputScale: the output is in 1/128ths
# GetInvSqrtQuantizedMultiplierExp shifts by an unsigned -1 pairs of bits (undefined) for a sum of
# squares of 2^29 or more.
MAX_SUM = (1 << 29) - 1


@dataclass(frozen=True)
class Params:
    input_zero_point: int
    depth: int
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    ew.check_rank(ctx, inp, out, limit=4)  # L2NormPrepare: NumDimensions(input) <= 4
    if len(inp.shape) == 0:
        raise ctx.fail(f"tensor '{inp.name}' is a scalar; L2_NORMALIZATION needs a last dimension")
    if tuple(inp.shape) != tuple(out.shape):
        raise ctx.fail(f"tensor '{inp.name}' {inp.shape} and '{out.name}' {out.shape} differ in shape")
    _, zp = ctx.per_tensor(inp)
    out_scale, out_zp = ctx.per_tensor(out)
    if float(np.float32(out_scale)) != 1 / 128 or out_zp != 0:
        raise ctx.fail(
            f"tensor '{out.name}' has scale {out_scale!r} and zero point {out_zp}; TFLM's int8 "
            "L2_NORMALIZATION always writes scale 1/128, zero point 0"
        )
    activation = ctx.activation()
    if activation != "NONE":
        raise ctx.fail(f"a fused {activation} activation is not supported")
    depth = int(inp.shape[-1])
    if depth == 0:
        raise ctx.fail(f"tensor '{inp.name}' {inp.shape} has an empty last dimension")
    largest = max(127 - zp, zp + 128) ** 2
    if depth * largest > MAX_SUM:
        raise ctx.fail(
            f"a last dimension of {depth} with zero point {zp} can give a sum of squares of 2^29 or more, "
            "where TFLM's inverse square root is undefined"
        )
    return Params(int(zp), depth, tuple(out.shape))


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].astype(np.int64).reshape(-1, p.depth) - p.input_zero_point
    acc = np.sum(x * x, axis=1, keepdims=True)
    multiplier, shift = inv_sqrt_quantized_multiplier_exp(acc)
    y = fp.multiply_by_quantized_multiplier(x, multiplier, shift + OUTPUT_SCALE_BITS)
    return np.clip(y, -128, 127).astype(np.int8).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    size = int(np.prod(p.output_shape, dtype=np.int64))
    params = e.struct(
        "edgenn_l2_normalization_params",
        {
            "outer_size": size // p.depth,
            "depth": p.depth,
            "input_zero_point": p.input_zero_point,
        },
    )
    return f"edgenn_l2_normalization({params}, {e.input(0)}, {e.output()});"
