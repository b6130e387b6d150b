"""PAD, int8: TFLM's PadPrepare + reference_ops::Pad, filling with the output zero point.

The input codes are copied unchanged (TFLM never rescales here), so the border holds the code of
real 0 in the output's quantization.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.cfmt import c_brace
from edgenn.reference import _elementwise as ew
from edgenn.reference.base import OpContext

NAME = "PAD"
TFLM_RESOLVER = "AddPad"
TFLITE_OPTIONS = "PadOptions"

MAX_RANK = 5


@dataclass(frozen=True)
class Params:
    paddings: tuple[tuple[int, int], ...]  # (before, after) per input dimension
    pad_value: int
    output_shape: tuple[int, ...]


def padding_pairs(ctx: OpContext, inp, pads, out) -> tuple[tuple[int, int], ...]:
    """The constant paddings as (before, after) per input dimension, checked against both shapes."""
    rank = len(inp.shape)
    ew.check_rank(ctx, inp, out, limit=MAX_RANK)
    data = ctx.const(pads).astype(np.int64)
    if data.size != 2 * len(out.shape) or len(out.shape) != rank:
        raise ctx.fail(f"paddings of shape {pads.shape} do not fit input {inp.shape} and output {out.shape}")
    pairs = tuple((int(a), int(b)) for a, b in data.reshape(rank, 2))
    if any(a < 0 or b < 0 for a, b in pairs):
        raise ctx.fail(f"negative paddings {pairs} are not supported")
    if tuple(d + a + b for d, (a, b) in zip(inp.shape, pairs, strict=True)) != out.shape:
        raise ctx.fail(f"input {inp.shape} padded by {pairs} does not give the output shape {out.shape}")
    return pairs


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    # TFLM reads the paddings as int32 whatever their declared type.
    pads = ctx.require_dtype(ctx.input(1), "int32")
    out = ctx.require_dtype(ctx.output(), "int8")
    if len(ctx.op.inputs) > 2 and ctx.op.inputs[2] >= 0:
        raise ctx.fail("an explicit pad value (PADV2-style third input) is not supported")
    _, out_zp = ctx.per_tensor(out)
    pairs = padding_pairs(ctx, inp, pads, out)
    if not -128 <= out_zp <= 127:
        raise ctx.fail(f"output zero point {out_zp} is outside int8")
    return Params(pairs, out_zp, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    return np.pad(inputs[0], p.paddings, mode="constant", constant_values=p.pad_value).astype(np.int8)


def merged_paddings(shape, paddings) -> list[tuple[int, int, int]]:
    """(size, before, after) per dim, with each unpadded dim folded into the dim before it and
    unpadded leading ones dropped: the C then moves whole runs of bytes per output row."""
    dims = [(int(d), int(a), int(b)) for d, (a, b) in zip(shape, paddings, strict=True)]
    if any(d == 0 for d, _, _ in dims):
        return dims  # an empty input: folding by a zero size would lose the padding
    merged: list[tuple[int, int, int]] = []
    for d, a, b in dims:
        if not merged and (d, a, b) == (1, 0, 0):
            continue
        if merged and a == b == 0:
            n, pa, pb = merged[-1]
            merged[-1] = (n * d, pa * d, pb * d)
        else:
            merged.append((d, a, b))
    return merged or [(1, 0, 0)]


def emit_call(e, function: str, output_shape, paddings, pad_value: int, item_bytes: int = 1) -> str:
    """The call `function(params, input, output)` padding values of `item_bytes` bytes each."""
    in_shape = tuple(o - a - b for o, (a, b) in zip(output_shape, paddings, strict=True))
    if item_bytes != 1:
        # The bytes of each value as one more, unpadded, innermost dim: merged into the dim before it.
        in_shape, paddings = (*in_shape, item_bytes), (*paddings, (0, 0))
    dims = merged_paddings(in_shape, paddings)
    dims = [(1, 0, 0)] * (MAX_RANK - len(dims)) + dims
    params = e.struct(
        "edgenn_pad_params",
        {
            "dims": c_brace(d for d, _, _ in dims),
            "before": c_brace(a for _, a, _ in dims),
            "after": c_brace(b for _, _, b in dims),
            "pad_value": pad_value,
        },
    )
    return f"{function}({params}, {e.input(0)}, {e.output()});"


def emit(p: Params, e) -> str:
    return emit_call(e, "edgenn_pad", p.output_shape, p.paddings, p.pad_value)
