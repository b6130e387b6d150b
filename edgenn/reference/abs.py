"""ABS, int8: TFLM's PrepareAbsRsqrt + AbsEvalQuantized (elementwise.cc).

|input - input zero point| goes to the output unscaled when the two float32 scales are equal
(whatever the zero points), and through one multiplier, input_scale / output_scale, when they
differ (their quotient taken in double, as the TFLM the tests run does; its source writes float32);
then the output zero point is added and the sum saturated to int8. The op is a pure
function of one int8 code, so the C looks each element up in a 256-entry table this reference
computes at export time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _unary_math as um
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext
from edgenn.reference.logistic import emit_table

NAME = "ABS"
TFLM_RESOLVER = "AddAbs"
IN_PLACE = True
CONSTANTS = ("tables",)


@dataclass(frozen=True)
class Params:
    input_zero_point: int
    output_zero_point: int
    needs_rescale: bool
    multiplier: int
    shift: int
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    q = um.int8_quantization(ctx)
    s_in, s_out = np.float32(q.input_scale), np.float32(q.output_scale)
    # TFLM compares the float32 scales; equal ones skip the multiplier altogether.
    if s_in == s_out:
        return Params(q.input_zero_point, q.output_zero_point, False, 0, 0, q.output_shape)
    multiplier, shift = um.quantize_multiplier(ctx, um.ratio(s_in, s_out), "input_scale / output_scale")
    um.require_c_shift(ctx, shift)
    return Params(q.input_zero_point, q.output_zero_point, True, multiplier, shift, q.output_shape)


def run(p: Params, inputs) -> np.ndarray:
    value = np.abs(inputs[0].astype(np.int64) - p.input_zero_point)
    if p.needs_rescale:
        value = fp.multiply_by_quantized_multiplier(value, p.multiplier, p.shift)
    y = fp.wrap_int32(value + p.output_zero_point)
    return np.clip(y, -128, 127).astype(np.int8).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    return emit_table(p, e, run, "abs")
