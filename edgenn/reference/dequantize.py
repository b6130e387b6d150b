"""DEQUANTIZE, int8 or int16 to float32: TFLM's reference_ops::Dequantize.

Each value is float32(scale) * float32(code - zero point): one correctly rounded float32 multiply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.cfmt import c_float
from edgenn.reference import _elementwise as ew
from edgenn.reference.base import OpContext

NAME = "DEQUANTIZE"
TFLM_RESOLVER = "AddDequantize"
TYPES = ("int8", "int16x8", "float32")  # the types it converts between
TFLITE_OPTIONS = "DequantizeOptions"

BYTES = {"int8": 1, "int16": 2}


@dataclass(frozen=True)
class Params:
    scale: float  # the float32 scale, as a Python float
    zero_point: int
    input_dtype: str
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), *BYTES)
    out = ctx.require_dtype(ctx.output(), "float32")
    scale, zero_point = ctx.per_tensor(inp)
    ew.check_rank(ctx, inp, out)
    ew.same_size(ctx, inp, out)
    if ctx.for_c and abs(zero_point) > (1 << 24) + int(np.iinfo(inp.dtype).min):
        # Beyond this the C's float32 product is no longer TFLM's exact double product rounded once.
        raise ctx.fail(f"zero point {zero_point} is too large")
    return Params(scale, zero_point, inp.dtype, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    centered = (inputs[0].astype(np.int32) - np.int32(p.zero_point)).astype(np.float32)
    return (np.float32(p.scale) * centered).astype(np.float32).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    params = e.struct(
        "edgenn_dequantize_params",
        {
            "size": int(np.prod(p.output_shape, dtype=np.int64)),
            "scale": c_float(p.scale),
            "zero_point": p.zero_point,
            "input_bytes": BYTES[p.input_dtype],
        },
    )
    return f"edgenn_dequantize({params}, {e.input(0)}, {e.output()});"
