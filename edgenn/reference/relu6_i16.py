"""RELU6, int16x8: TFLM's Relu6Prepare + Relu6Quantized<int16_t>: the input codes clamped to
[0, quantized 6] in the input's own quantization (edgenn.reference.relu6), never rescaled."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _elementwise as ew
from edgenn.reference import _int16
from edgenn.reference.base import OpContext
from edgenn.reference.relu6 import quantized_six

NAME = "RELU6"
C_DEPENDS = ("int16x8",)


@dataclass(frozen=True)
class Params:
    upper: int
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp, out = ctx.input(0), ctx.output()
    ((scale, _), _) = _int16.activations(ctx, inp, out)
    ew.check_rank(ctx, inp, out)
    ew.same_size(ctx, inp, out)
    return Params(quantized_six(scale, 0, _int16.INT16_MIN, _int16.INT16_MAX), out.shape)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0]
    return np.where(x > p.upper, p.upper, np.where(x < 0, 0, x)).astype(np.int16).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_relu6_i16_params", {"size": int(np.prod(p.output_shape, dtype=np.int64)), "upper": p.upper}
    )
    return f"edgenn_relu6_i16({params}, {e.input(0)}, {e.output()});"
