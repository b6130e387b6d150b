"""SUM, int8: TFLM's EvalSumHelper (reduce_common.cc), i.e. reference_ops::QuantizedMeanOrSum with compute_sum.

MEAN's arithmetic without the division: the int32 sum (wrapping) minus input_zp * count, wrapped to
int32, goes through MultiplyByQuantizedMultiplier with QuantizeMultiplier(input_scale /
output_scale) as it is, plus the output zero point, clamped to int8. The C runs MEAN's kernel with
that unfolded multiplier.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _reductions as rd
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "SUM"
TFLM_RESOLVER = "AddSum"
TFLITE_OPTIONS = "ReducerOptions"

MAX_LEFT_SHIFT = 31  # MultiplyByQuantizedMultiplier computes x * (1 << shift): 1 << 32 and up are undefined


Params = rd.QuantizedSumParams  # multiplier and shift from input_scale / output_scale alone


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    out = ctx.require_dtype(ctx.output(), "int8")
    axes = rd.reduce_axes(ctx)
    count = rd.reduced_count(inp, axes)
    in_scale, in_zp = ctx.per_tensor(inp)
    out_scale, out_zp = ctx.per_tensor(out)
    # TFLM divides the float32 scales as doubles.
    ratio = float(np.float32(in_scale)) / float(np.float32(out_scale))
    mult, shift = fp.quantize_multiplier(ratio)
    if shift > MAX_LEFT_SHIFT:
        raise ctx.fail(
            f"input/output scale ratio {ratio:g} is too large: TFLM's rescale would shift left by {shift} bits, "
            f"which C leaves undefined (at most {MAX_LEFT_SHIFT})"
        )
    return Params(axes, count, in_zp, out_zp, mult, shift, out.shape)


run = rd.quantized_sum_run

C_DEPENDS = ("mean", "conv_common", "reductions")


def emit(p: Params, e) -> str:
    return rd.quantized_sum_emit(p, e, "edgenn_sum")
