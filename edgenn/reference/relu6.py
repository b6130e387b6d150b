"""RELU6, int8: TFLM's Relu6Prepare + Relu6Quantized.

TFLM clamps the input codes to [quantized 0, quantized 6] in the input's own quantization and
copies them out; unlike its RELU it never rescales, even when the output tensor's scale differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _elementwise as ew
from edgenn.reference.base import OpContext

NAME = "RELU6"
TFLM_RESOLVER = "AddRelu6"
IN_PLACE = True


@dataclass(frozen=True)
class Params:
    lower: int
    upper: int
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    scale, zero_point = ctx.per_tensor(inp)
    ew.check_rank(ctx, inp, out)
    ew.same_size(ctx, inp, out)
    # TFLM stores both bounds as int8_t, so a zero point outside int8 wraps there.
    lower = (zero_point + 128) % 256 - 128
    return Params(lower, quantized_six(scale, zero_point, -128, 127), out.shape)


def quantized_six(scale: float, zero_point: int, lo: int, hi: int) -> int:
    """FloatToQuantizedType(6): float32 division, std::round, add the zero point, convert, saturate."""
    with np.errstate(divide="ignore", over="ignore"):
        six = ew.round_half_away(np.float32(6.0) / np.float32(scale)) + zero_point
    return int(np.clip(ew.float_to_int32(six), lo, hi))


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0]
    # Upper bound first, as TFLM tests it: the order matters only if the bounds cross.
    return np.where(x > p.upper, p.upper, np.where(x < p.lower, p.lower, x)).astype(np.int8).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_relu6_params",
        {"size": int(np.prod(p.output_shape, dtype=np.int64)), "lower": p.lower, "upper": p.upper},
    )
    return f"edgenn_relu6({params}, {e.input(0)}, {e.output()});"
