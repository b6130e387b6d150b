"""MEAN, int8: TFLM's EvalIntegerMean (reduce_common.cc), i.e. reference_ops::QuantizedMeanOrSum.

The division by the element count is folded into the input/output rescale, not done separately:
with (multiplier, shift) = QuantizeMultiplier(input_scale / output_scale) and
s = min(floor(log2(count)), 32, 31 + shift), the multiplier becomes (multiplier << s) / count
(truncating, in int64) and the shift becomes shift - s. The int32 sum minus input_zp * count then
goes through MultiplyByQuantizedMultiplier, plus the output zero point, clamped to int8.

Older TFLM releases divided the raw sum by the count with C's truncating division when input and
output quantization were identical; current TFLM requantizes in that case too (so the mean
rounds instead of truncating), and so does this module.
"""

from __future__ import annotations

from edgenn.reference import _reductions as rd
from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "MEAN"
TFLM_RESOLVER = "AddMean"
TFLITE_OPTIONS = "ReducerOptions"

MAX_RANK = 5  # TFLM's per-dimension iterator holds 5 entries
MAX_AXES = 2  # and its resolved-axis buffer 2: more distinct axes overrun it

Params = rd.QuantizedSumParams  # multiplier and shift with 1/count folded in


def fold_count(ctx: OpContext, multiplier: int, shift: int, count: int) -> tuple[int, int]:
    """The rescale for sum/count, as QuantizedMeanOrSum adjusts it before its loop."""
    s = min(count.bit_length() - 1, 32, 31 + shift)
    if s < 0:
        raise ctx.fail(f"input/output scale ratio is too small to rescale (shift {shift})")
    return int((multiplier << s) // count), shift - s


def mean_axes(ctx: OpContext, inp, axis, out) -> tuple[tuple[int, ...], int]:
    """The reduced axes and the count of values per output, as every MEAN kernel checks them."""
    rank = len(inp.shape)
    if not 1 <= rank <= MAX_RANK:
        raise ctx.fail(f"input of rank {rank} is not supported (1 to {MAX_RANK})")
    axes = rd.resolve_axes(ctx, rank, rd.axis_values(ctx, axis))
    if not axes:
        raise ctx.fail("MEAN without axes is not supported")
    if len(axes) > MAX_AXES:
        raise ctx.fail(f"MEAN over {len(axes)} axes is not supported (at most {MAX_AXES})")
    rd.reduced_shape(ctx, inp, out, axes, rd.keep_dims(ctx))
    count = rd.reduced_count(inp, axes)
    if count < 1:
        raise ctx.fail("MEAN over an empty axis is not supported")
    return axes, count


def prepare(ctx: OpContext, dtype: str = "int8") -> Params:
    inp = ctx.require_dtype(ctx.input(0), dtype)
    axis = ctx.require_dtype(ctx.input(1), "int32")
    out = ctx.require_dtype(ctx.output(), dtype)
    axes, count = mean_axes(ctx, inp, axis, out)
    in_scale, in_zp = ctx.per_tensor(inp)
    out_scale, out_zp = ctx.per_tensor(out)
    mult, shift = fp.quantize_multiplier(float(in_scale) / float(out_scale))
    mult, shift = fold_count(ctx, mult, shift, count)
    return Params(axes, count, in_zp, out_zp, mult, shift, out.shape, dtype)


run = rd.quantized_sum_run

C_DEPENDS = ("conv_common", "reductions")


def emit(p: Params, e) -> str:
    return rd.quantized_sum_emit(p, e, "edgenn_mean")
