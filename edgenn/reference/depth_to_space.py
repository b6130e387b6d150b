"""DEPTH_TO_SPACE, int8: TFLM's reference_ops::DepthToSpace on NHWC, codes copied as they are.

Each input pixel's channels, block_size * block_size groups of C / block_size**2, spread over a
block_size x block_size patch of output pixels: out[n, h*b + i, w*b + j, c] = in[n, h, w, (i*b + j)*C' + c].
TFLM takes 4-D tensors and block_size > 0 whose square divides the depth, and sets the output
shape itself; a model whose output shape says otherwise is refused here.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _strided_copy as sc
from edgenn.reference.base import OpContext

NAME = "DEPTH_TO_SPACE"
TFLM_RESOLVER = "AddDepthToSpace"
TFLITE_OPTIONS = "DepthToSpaceOptions"

Params = sc.BlockParams


def prepare(ctx: OpContext) -> Params:
    b, (n, h, w, c), out = sc.block_operands(ctx)
    if b < 1 or c % (b * b):
        raise ctx.fail(f"block size {b} does not divide depth {c} into block_size**2 groups")
    expected = (n, h * b, w * b, c // (b * b))
    sc.require_output(ctx, out, expected, f"{expected}")
    oc = c // (b * b)
    # Output order (n*h, i, w, j, c'): batch and rows step alike, so they are one dim.
    return Params(b, sc.walk([(n * h, w * c), (b, b * oc), (w, c), (b, oc), (oc, 1)]))


def run(p: Params, inputs) -> np.ndarray:
    x = np.asarray(inputs[0], dtype=np.int8)
    n, h, w, c = x.shape
    b = p.block
    y = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
    return np.ascontiguousarray(y).reshape(n, h * b, w * b, c // (b * b))


def emit(p: Params, e) -> str:
    return sc.emit("edgenn_depth_to_space", p.walk, e)


C_DEPENDS = ("strided_copy",)
