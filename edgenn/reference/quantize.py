"""QUANTIZE: TFLM's PrepareQuantizeReference + EvalQuantizeReference, for the type pairs it runs.

From float32 (to int8 or int16) it is reference_ops::AffineQuantize: divide by the float32 output
scale in float32, round half away from zero, convert to int32, add the zero point, saturate
(quotients beyond int32 and NaN convert as this host's TFLM build does). Between integer types
(int8 → int8, int16, int32; int16 → int8, int16, int32; int32 → int8, int16) it is
reference_ops::Requantize with one multiplier for input_scale / output_scale (double arithmetic):
subtract the input zero point, multiply, add the output zero point, saturate to the output type.
TFLM's other pairs involve uint8, which models here never hold.
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
TYPES = ("int8", "int16x8", "float32")  # the types it converts between
TFLITE_OPTIONS = "QuantizeOptions"
IN_PLACE = True

# Input dtype → the output dtypes TFLM's Eval computes for it.
PAIRS = {
    "float32": ("int8", "int16"),
    "int8": ("int8", "int16", "int32"),
    "int16": ("int8", "int16", "int32"),
    "int32": ("int8", "int16"),
}
# Bytes of an integer element: how the C tells the types apart.
BYTES = {"int8": 1, "int16": 2, "int32": 4}


@dataclass(frozen=True)
class Params:
    from_float: bool
    output_scale: float  # the float32 scale, as a Python float
    output_zero_point: int
    input_zero_point: int
    multiplier: int
    shift: int
    input_dtype: str
    output_dtype: str
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), *PAIRS)
    out = ctx.require_dtype(ctx.output(), *PAIRS[inp.dtype])
    out_scale, out_zp = ctx.per_tensor(out)
    ew.check_rank(ctx, inp, out)
    ew.same_size(ctx, inp, out)
    if inp.dtype == "float32":
        return Params(True, out_scale, out_zp, 0, 0, 0, inp.dtype, out.dtype, out.shape)
    in_scale, in_zp = ctx.per_tensor(inp)
    multiplier, shift = fp.quantize_multiplier(in_scale / out_scale)
    ew.require_c_shift(ctx, shift)
    return Params(False, out_scale, out_zp, in_zp, multiplier, shift, inp.dtype, out.dtype, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0]
    if p.from_float:
        with np.errstate(invalid="ignore", over="ignore"):
            q = ew.round_half_away(x.astype(np.float32) / np.float32(p.output_scale))
        q = ew.float_to_int32(q)
    else:
        # int32 inputs may overflow the subtraction; TFLM's int32 arithmetic wraps there.
        q = fp.multiply_by_quantized_multiplier(
            fp.wrap_int32(x.astype(np.int64) - p.input_zero_point), p.multiplier, p.shift
        )
    # TFLM adds the zero point in int32, so it wraps before saturating.
    q = fp.wrap_int32(q + p.output_zero_point)
    info = np.iinfo(p.output_dtype)
    return np.clip(q, info.min, info.max).astype(p.output_dtype).reshape(p.output_shape)


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
            "input_bytes": BYTES.get(p.input_dtype, 4),
            "output_bytes": BYTES[p.output_dtype],
        },
    )
    kernel = "edgenn_quantize" if p.from_float else "edgenn_quantize_integer"
    return f"{kernel}({params}, {e.input(0)}, {e.output()});"
