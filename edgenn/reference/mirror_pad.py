"""MIRROR_PAD, int8: TFLM's mirror_pad.cc, which copies input codes into the border.

REFLECT mirrors around the edge element (offset 1), SYMMETRIC repeats it (offset 0). TFLM checks no
quantization: the codes are copied as they are whatever the output's scale and zero point, and so
are they here. TFLM clamps a padding wider than the input allows only on the right (and reads out of
bounds on the left), so paddings beyond size - 1 (REFLECT) or size (SYMMETRIC) are refused; within
them TFLM's index arithmetic is NumPy's reflect/symmetric pad.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.cfmt import c_brace
from edgenn.reference import _elementwise as ew
from edgenn.reference.base import OpContext

NAME = "MIRROR_PAD"
TFLM_RESOLVER = "AddMirrorPad"
TFLITE_OPTIONS = "MirrorPadOptions"

MAX_RANK = 5
MODES = {0: "reflect", 1: "symmetric"}  # schema MirrorPadMode


@dataclass(frozen=True)
class Params:
    paddings: tuple[tuple[int, int], ...]  # (before, after) per input dimension
    mode: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    pads = ctx.require_dtype(ctx.input(1), "int32", "int64")
    out = ctx.require_dtype(ctx.output(), "int8")
    mode = MODES.get(int(getattr(ctx.options, "mode", -1)))
    if mode is None:
        raise ctx.fail(f"mirror pad mode {getattr(ctx.options, 'mode', None)} is not supported")
    rank = len(inp.shape)
    ew.check_rank(ctx, inp, out, limit=MAX_RANK)
    data = ctx.const(pads).astype(np.int64)
    if len(pads.shape) != 2 or data.size != 2 * rank or len(out.shape) != rank:
        raise ctx.fail(f"paddings of shape {pads.shape} do not fit input {inp.shape} and output {out.shape}")
    pairs = tuple((int(a), int(b)) for a, b in data.reshape(rank, 2))
    limit_less = 1 if mode == "reflect" else 0
    for d, (a, b) in zip(inp.shape, pairs, strict=True):
        if min(a, b) < 0 or max(a, b) > d - limit_less:
            raise ctx.fail(f"{mode} paddings {pairs} do not fit input {inp.shape} (each at most size - {limit_less})")
    if tuple(d + a + b for d, (a, b) in zip(inp.shape, pairs, strict=True)) != out.shape:
        raise ctx.fail(f"input {inp.shape} padded by {pairs} does not give the output shape {out.shape}")
    return Params(pairs, mode, inp.shape, out.shape)


def run(p: Params, inputs) -> np.ndarray:
    return np.pad(inputs[0], p.paddings, mode=p.mode).astype(np.int8)


def emit(p: Params, e) -> str:
    fill = MAX_RANK - len(p.input_shape)
    dims = (1,) * fill + tuple(p.input_shape)
    pairs = ((0, 0),) * fill + p.paddings
    params = e.struct(
        "edgenn_mirror_pad_params",
        {
            "dims": c_brace(dims),
            "before": c_brace(a for a, _ in pairs),
            "after": c_brace(b for _, b in pairs),
            "offset": 1 if p.mode == "reflect" else 0,
        },
    )
    return f"edgenn_mirror_pad({params}, {e.input(0)}, {e.output()});"
