"""Checks and export-time arithmetic shared by the int8 unary math ops (ABS, RSQRT, HARD_SWISH)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from edgenn.reference import _elementwise as ew
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

require_c_shift = ew.require_c_shift


def int8_tensors(ctx: OpContext):
    """The int8 input and output of a one-input elementwise op, of the same size and rank <= 6."""
    inp = ctx.require_dtype(ctx.input(0), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    ew.check_rank(ctx, inp, out)
    ew.same_size(ctx, inp, out)
    return inp, out


class Quantization(NamedTuple):
    """The per-tensor quantization of a one-input int8 op's input and output, as the model holds it."""

    input_scale: float
    input_zero_point: int
    output_scale: float
    output_zero_point: int
    output_shape: tuple[int, ...]


def int8_quantization(ctx: OpContext) -> Quantization:
    """int8_tensors' checks, then both tensors' per-tensor scale and zero point."""
    inp, out = int8_tensors(ctx)
    in_scale, in_zp = ctx.per_tensor(inp)
    out_scale, out_zp = ctx.per_tensor(out)
    return Quantization(in_scale, int(in_zp), out_scale, int(out_zp), tuple(out.shape))


def ratio(a, b) -> float:
    """a / b of two scales (float32 values, or exact multiples of them), divided in double.

    TFLM's source writes static_cast<double>(a / b), a float32 quotient, but the TFLM the tests run
    divides in double (as for LEAKY_RELU); where the two differ in Q31 an output code can differ,
    and tests/kernels/test_unary_math.py pins such models."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float(np.float64(a) / np.float64(b))


def quantize_multiplier(ctx: OpContext, real: float, what: str) -> tuple[int, int]:
    """QuantizeMultiplier(real), refusing what it has no answer for (an infinity, a NaN, a negative)."""
    if not np.isfinite(real) or real < 0.0:
        raise ctx.fail(f"the multiplier {what} is {real}; a finite, non-negative one is needed")
    return fp.quantize_multiplier(real)
