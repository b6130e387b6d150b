"""TRANSPOSE, int8: TFLM's reference_ops::Transpose, the input codes moved to permuted positions.

TFLM takes 1 to 5 dimensions and a constant int32 `perm`; it copies the codes as they are, whatever
the output quantization says. Output dim k is input dim perm[k], so the C is a strided copy
(_strided_copy.py) whose dim k steps by input dim perm[k]'s stride.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.reference import _strided_copy as sc
from edgenn.reference.base import OpContext

NAME = "TRANSPOSE"
TFLM_RESOLVER = "AddTranspose"
TFLITE_OPTIONS = "TransposeOptions"

MAX_RANK = 5  # TransposePrepare: "Transpose op only supports 1D-5D input arrays"


@dataclass(frozen=True)
class Params:
    perm: tuple[int, ...]
    walk: sc.Walk


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8")
    perm_t = ctx.require_dtype(ctx.input(1), "int32")
    out = ctx.require_dtype(ctx.output(), "int8")
    rank = len(inp.shape)
    if not 1 <= rank <= MAX_RANK:
        raise ctx.fail(f"input of rank {rank} is not supported (1 to {MAX_RANK} dimensions)")
    perm = tuple(int(v) for v in np.asarray(ctx.const(perm_t)).reshape(-1))
    if len(perm_t.shape) != 1 or sorted(perm) != list(range(rank)):
        raise ctx.fail(f"perm {list(perm)} is not a permutation of the {rank} input dimensions")
    expected = tuple(inp.shape[k] for k in perm)
    sc.require_output(ctx, out, expected, f"the input shape {inp.shape} permuted by {list(perm)}")
    strides = sc.row_major_strides(inp.shape)
    return Params(perm, sc.walk((inp.shape[k], strides[k]) for k in perm))


def run(p: Params, inputs) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(np.asarray(inputs[0], dtype=np.int8), p.perm))


def emit(p: Params, e) -> str:
    return sc.emit("edgenn_transpose", p.walk, e)


C_DEPENDS = ("strided_copy",)
