"""SQUEEZE: TFLM copies the bytes; the output tensor's shape already lacks the squeezed dims."""

from __future__ import annotations

from edgenn.reference import _alias as al
from edgenn.reference import _elementwise as ew
from edgenn.reference.base import OpContext

NAME = "SQUEEZE"
TFLM_RESOLVER = "AddSqueeze"
TFLITE_OPTIONS = "SqueezeOptions"
ALIAS = True
TYPES = al.TYPES

MAX_RANK = 8

Params = al.Params


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), *al.DTYPES)
    out = ctx.require_dtype(ctx.output(), inp.dtype)
    ew.same_size(ctx, inp, out)
    raw = getattr(ctx.options, "squeezeDims", None)
    dims = [] if raw is None else [int(d) for d in raw]
    rank = len(inp.shape)
    ew.check_rank(ctx, inp, limit=MAX_RANK)
    axes = {d + rank if d < 0 else d for d in dims} if dims else {i for i, d in enumerate(inp.shape) if d == 1}
    if any(not 0 <= a < rank or inp.shape[a] != 1 for a in axes):
        raise ctx.fail(f"cannot squeeze dims {dims} of shape {inp.shape}")
    kept = [d for i, d in enumerate(inp.shape) if i not in axes]
    if len(out.shape) < len(kept) or any(o < k for o, k in zip(out.shape, kept, strict=False)):
        raise ctx.fail(f"squeezing dims {sorted(axes)} of {inp.shape} does not fit the output shape {out.shape}")
    return al.params(out)


run = al.run


def emit(p: Params, e) -> str:
    return al.emit(p, e, "edgenn_squeeze")
