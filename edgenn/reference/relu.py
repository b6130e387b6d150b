"""RELU, int8: TFLM's CalculateReluOpData + ReluQuantized.

The standalone op requantizes from the input to the output scale with one multiplier, then clamps
at the output's quantized zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _elementwise as ew
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "RELU"
TFLM_RESOLVER = "AddRelu"
IN_PLACE = True


@dataclass(frozen=True)
class Params:
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    act_min: int
    act_max: int
    output_shape: tuple[int, ...]
    dtype: str = "int8"  # of the input and the output (int16 for the int16x8 RELU)


def prepare(ctx: OpContext, dtype: str = "int8") -> Params:
    inp = ctx.require_dtype(ctx.input(0), dtype)
    out = ctx.require_dtype(ctx.output(), dtype)
    in_scale, in_zp = ctx.per_tensor(inp)
    out_scale, out_zp = ctx.per_tensor(out)
    ew.check_rank(ctx, inp, out)
    ew.same_size(ctx, inp, out)
    multiplier, shift = fp.quantize_multiplier(in_scale / out_scale)
    act_min, act_max = fp.activation_range("RELU", out_scale, out_zp, np.iinfo(dtype).min, np.iinfo(dtype).max)
    ew.require_c_shift(ctx, shift)
    return Params(in_zp, out_zp, multiplier, shift, act_min, act_max, out.shape, dtype)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].astype(np.int64) - p.input_zero_point
    y = fp.multiply_by_quantized_multiplier(x, p.multiplier, p.shift) + p.output_zero_point
    return np.clip(y, p.act_min, p.act_max).astype(p.dtype).reshape(p.output_shape)


C_DEPENDS = ("elementwise",)


def emit(p: Params, e, function: str = "edgenn_relu") -> str:
    params = e.struct(
        "edgenn_relu_params",
        {
            "size": int(np.prod(p.output_shape, dtype=np.int64)),
            "input_zero_point": p.input_zero_point,
            "output_zero_point": p.output_zero_point,
            "multiplier": p.multiplier,
            "shift": p.shift,
            "act_min": p.act_min,
            "act_max": p.act_max,
        },
    )
    return f"{function}({params}, {e.input(0)}, {e.output()});"
