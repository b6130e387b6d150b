"""QUANTIZE to int8: TFLM's PrepareQuantizeReference + EvalQuantizeReference.

From float32 it is reference_ops::AffineQuantize: divide by the float32 output scale in float32,
round half away from zero, convert to int32, add the zero point, saturate (quotients beyond int32
and NaN convert as this host's TFLM build does). From int8 it is reference_ops::Requantize with one
multiplier for input_scale / output_scale (double arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.cfmt import c_float
from edgenn.reference import _elementwise as ew
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "QUANTIZE"
TFLM_RESOLVER = "AddQuantize"
TFLITE_OPTIONS = "QuantizeOptions"
IN_PLACE = True


@dataclass(frozen=True)
class Params:
    from_float: bool
    output_scale: float  # the float32 scale, as a Python float
    output_zero_point: int
    input_zero_point: int
    multiplier: int
    shift: int
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "float32", "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    out_scale, out_zp = ctx.per_tensor(out)
    ew.check_rank(ctx, inp, out)
    ew.same_size(ctx, inp, out)
    if inp.dtype == "float32":
        return Params(True, out_scale, out_zp, 0, 0, 0, out.shape)
    in_scale, in_zp = ctx.per_tensor(inp)
    multiplier, shift = fp.quantize_multiplier(in_scale / out_scale)
    ew.require_c_shift(ctx, shift)
    return Params(False, out_scale, out_zp, in_zp, multiplier, shift, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0]
    if p.from_float:
        with np.errstate(invalid="ignore", over="ignore"):
            q = ew.round_half_away(x.astype(np.float32) / np.float32(p.output_scale))
        # TFLM adds the zero point to the converted int32 before saturating, so it wraps first.
        q = fp.wrap_int32(ew.float_to_int32(q) + p.output_zero_point)
    else:
        q = fp.multiply_by_quantized_multiplier(x.astype(np.int64) - p.input_zero_point, p.multiplier, p.shift)
        q = q + p.output_zero_point
    return np.clip(q, -128, 127).astype(np.int8).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_quantize_params",
        {
            "size": int(np.prod(p.output_shape, dtype=np.int64)),
            "output_scale": c_float(p.output_scale),
            "output_zero_point": p.output_zero_point,
            "input_zero_point": p.input_zero_point,
            "multiplier": p.multiplier,
            "shift": p.shift,
        },
    )
    kernel = "edgenn_quantize" if p.from_float else "edgenn_quantize_int8"
    return f"{kernel}({params}, {e.input(0)}, {e.output()});"
