"""LOGISTIC, int8: TFLM's reference_integer_ops::Logistic (gemmlowp fixed point, no lookup table).

The input minus its zero point is rescaled to Q4.27 and fed to gemmlowp::logistic; inputs whose
magnitude reaches the radius of that format saturate directly. The Q0.31 result is rounded to
the fixed output quantization (scale 1/256, zero point -128).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from edgenn.reference import _fixed_output as fo
from edgenn.reference import fixedpoint as fp
from edgenn.reference import gemmlowp as gl
from edgenn.reference.base import OpContext

NAME = "LOGISTIC"
TFLM_RESOLVER = "AddLogistic"
IN_PLACE = True
CONSTANTS = ("tables",)

INPUT_INTEGER_BITS = 4  # Q4.27: the fixed-point input covers (-16, 16)
OUTPUT_INTEGER_BITS = 8  # 2^31 / 2^8 = 2^23: Q0.31 → steps of 1/256
OUTPUT_SCALE = 1.0 / 256
OUTPUT_ZERO_POINT = -128


@dataclass(frozen=True)
class Params:
    input_zero_point: int
    input_range_radius: int  # |input - zero point| >= radius saturates
    input_multiplier: int  # input scale * 2^27 as frexp mantissa in Q31 ...
    input_left_shift: int  # ... and its exponent
    output_shape: tuple[int, ...]


def input_rescaling(ctx: OpContext, input_scale: float) -> tuple[int, int, int]:
    """(multiplier, left shift, radius) as TFLM's int8 LOGISTIC and TANH Prepare compute them."""
    scale = float(np.float32(input_scale))  # TfLiteQuantizationParams holds a float
    multiplier, left_shift = gl.frexp_multiplier(scale * float(1 << (31 - INPUT_INTEGER_BITS)))
    if not 0 <= left_shift <= 62:
        raise ctx.fail(f"input scale {input_scale} is outside the range TFLM's int8 {ctx.op.name} handles")
    return multiplier, left_shift, gl.calculate_input_radius(INPUT_INTEGER_BITS, left_shift)


def prepare_saturating(ctx: OpContext, params_type, out_scale: float, out_zero_point: int, why: str):
    """Checks and Prepare arithmetic shared by int8 LOGISTIC and TANH, for a fixed output quantization."""
    inp = ctx.input(0)
    out = ctx.output()
    fo.reject_int16(ctx, inp, out)
    ctx.require_dtype(inp, "int8")
    ctx.require_dtype(out, "int8")
    if int(np.prod(inp.shape)) != int(np.prod(out.shape)):
        raise ctx.fail(f"input shape {inp.shape} and output shape {out.shape} differ in size")
    in_scale, in_zp = ctx.per_tensor(inp)
    # `why`: what TFLM checks of the output quantization, and what its arithmetic assumes.
    fo.require_output_quantization(ctx, out, out_scale, out_zero_point, f"1/{round(1 / out_scale)}", why)
    multiplier, left_shift, radius = input_rescaling(ctx, in_scale)
    return params_type(int(in_zp), radius, multiplier, left_shift, tuple(out.shape))


def emit_table(p, e, run_fn, c_name: str) -> str:
    """A 256-entry table, one output per input code, computed by the reference itself: bit-exact by
    construction, and one load per element on the device."""
    table = run_fn(replace(p, output_shape=(256,)), [np.arange(-128, 128, dtype=np.int8)])
    params = e.struct(
        f"edgenn_{c_name}_params",
        {"size": int(np.prod(p.output_shape, dtype=np.int64)), "table": e.array("int8_t", table, "table", "tables")},
    )
    return f"edgenn_{c_name}({params}, {e.input(0)}, {e.output()});"


def prepare(ctx: OpContext) -> Params:
    return prepare_saturating(
        ctx, Params, OUTPUT_SCALE, OUTPUT_ZERO_POINT, "TFLM checks the zero point; the arithmetic assumes the scale"
    )


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].astype(np.int64).reshape(-1) - p.input_zero_point
    inside = np.abs(x) < p.input_range_radius
    # Outside lanes get 0 so the rescaling cannot overflow; they are replaced below.
    x_q4 = fp.multiply_by_quantized_multiplier(np.where(inside, x, 0), p.input_multiplier, p.input_left_shift)
    y_q0 = gl.logistic(x_q4, INPUT_INTEGER_BITS)
    y = np.clip(gl.rounding_divide_by_pot(y_q0, 31 - OUTPUT_INTEGER_BITS) + OUTPUT_ZERO_POINT, -128, 127)
    y = np.where(inside, y, np.where(x <= -p.input_range_radius, -128, 127))
    return y.astype(np.int8).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    return emit_table(p, e, run, "logistic")
