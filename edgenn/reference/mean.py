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

from dataclasses import dataclass

import numpy as np

from edgenn.reference import fixedpoint as fp
from edgenn.reference.base import OpContext

NAME = "MEAN"
TFLM_RESOLVER = "AddMean"
TFLITE_OPTIONS = "ReducerOptions"

MAX_RANK = 5  # TFLM's per-dimension iterator holds 5 entries
MAX_AXES = 2  # and its resolved-axis buffer 2: more distinct axes overrun it


@dataclass(frozen=True)
class Params:
    axes: tuple[int, ...]
    count: int
    input_zp: int
    output_zp: int
    multiplier: int  # with 1/count folded in
    shift: int
    output_shape: tuple[int, ...]


def fold_count(ctx: OpContext, multiplier: int, shift: int, count: int) -> tuple[int, int]:
    """The rescale for sum/count, as QuantizedMeanOrSum adjusts it before its loop."""
    s = min(count.bit_length() - 1, 32, 31 + shift)
    if s < 0:
        raise ctx.fail(f"input/output scale ratio is too small to rescale (shift {shift})")
    return int((multiplier << s) // count), shift - s


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    axis = ctx.require_dtype(ctx.input(1), "int32")
    out = ctx.require_dtype(ctx.output(), "int8")
    rank = len(inp.shape)
    if not 1 <= rank <= MAX_RANK:
        raise ctx.fail(f"input of rank {rank} is not supported (1 to {MAX_RANK})")
    axes: list[int] = []
    for a in np.asarray(ctx.const(axis)).reshape(-1).tolist():
        resolved = a + rank if a < 0 else a
        if not 0 <= resolved < rank:
            raise ctx.fail(f"axis {a} is out of range for a rank-{rank} input")
        if resolved not in axes:
            axes.append(resolved)
    if not axes:
        raise ctx.fail("MEAN without axes is not supported")
    if len(axes) > MAX_AXES:
        raise ctx.fail(f"MEAN over {len(axes)} axes is not supported (at most {MAX_AXES})")
    keep = bool(getattr(ctx.options, "keepDims", False))
    kept = [1 if i in axes else d for i, d in enumerate(inp.shape)]
    expected = tuple(kept if keep else [d for i, d in enumerate(inp.shape) if i not in axes])
    if int(np.prod(out.shape, dtype=np.int64)) != int(np.prod(expected, dtype=np.int64)):
        raise ctx.fail(f"output shape {out.shape} does not match the reduced shape {expected}")
    count = int(np.prod([inp.shape[i] for i in axes], dtype=np.int64))
    if count < 1:
        raise ctx.fail("MEAN over an empty axis is not supported")
    in_scale, in_zp = ctx.per_tensor(inp)
    out_scale, out_zp = ctx.per_tensor(out)
    mult, shift = fp.quantize_multiplier(float(in_scale) / float(out_scale))
    mult, shift = fold_count(ctx, mult, shift, count)
    return Params(tuple(sorted(axes)), count, in_zp, out_zp, mult, shift, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    total = fp.wrap_int32(inputs[0].astype(np.int64).sum(axis=p.axes))
    shifted = fp.wrap_int32(total - p.input_zp * p.count)
    acc = fp.multiply_by_quantized_multiplier(shifted, p.multiplier, p.shift) + p.output_zp
    return np.clip(acc, -128, 127).astype(np.int8).reshape(p.output_shape)


C_DEPENDS = ("conv_common",)


def canonical_dims(shape: tuple[int, ...], axes: tuple[int, ...]) -> list[int]:
    """[outer, reduce0, middle, reduce1, inner]: adjacent kept or reduced dimensions merged, size-1 ones dropped."""
    groups: list[list] = []  # [reduced, size]
    for i, d in enumerate(shape):
        if d == 1:
            continue
        if groups and groups[-1][0] == (i in axes):
            groups[-1][1] *= d
        else:
            groups.append([i in axes, d])
    if not groups or groups[0][0]:
        groups.insert(0, [False, 1])
    if groups[-1][0]:
        groups.append([False, 1])
    while len(groups) < 5:
        groups[:0] = [[False, 1], [True, 1]]
    return [size for _, size in groups]


def emit(p: Params, e) -> str:
    shape = e.graph.tensors[e.op.inputs[0]].shape
    outer, reduce0, middle, reduce1, inner = canonical_dims(shape, p.axes)
    params = e.struct(
        "edgenn_mean_params",
        {
            "outer": outer,
            "reduce0": reduce0,
            "middle": middle,
            "reduce1": reduce1,
            "inner": inner,
            "zero_sum": int(fp.wrap_int32(p.input_zp * p.count)),
            "output_zp": p.output_zp,
            "multiplier": p.multiplier,
            "shift": p.shift,
        },
    )
    return f"edgenn_mean({params}, {e.input(0)}, {e.output()});"
