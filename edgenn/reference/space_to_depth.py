"""SPACE_TO_DEPTH, int8: TFLM's reference_ops::SpaceToDepth on NHWC, codes copied as they are.

The inverse of DEPTH_TO_SPACE: each block_size x block_size patch of input pixels becomes the
channels of one output pixel, out[n, h, w, (i*b + j)*C + c] = in[n, h*b + i, w*b + j, c]. TFLM
takes 4-D tensors whose height and width block_size divides, and sets the output shape itself; a
model whose output shape says otherwise is refused here, as is block_size < 1 (TFLM divides by it).
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _strided_copy as sc
from edgenn.reference.base import OpContext

NAME = "SPACE_TO_DEPTH"
TFLM_RESOLVER = "AddSpaceToDepth"
TFLITE_OPTIONS = "SpaceToDepthOptions"

Params = sc.BlockParams


def prepare(ctx: OpContext) -> Params:
    b, (n, h, w, c), out = sc.block_operands(ctx)
    if b < 1 or h % b or w % b:
        raise ctx.fail(f"block size {b} does not divide the input's height {h} and width {w}")
    expected = (n, h // b, w // b, c * b * b)
    sc.require_output(ctx, out, expected, f"{expected}")
    # Output order (n*h', w', i, j, c): batch and block rows step alike, so they are one dim.
    return Params(b, sc.walk([(n * (h // b), b * w * c), (w // b, b * c), (b, w * c), (b, c), (c, 1)]))


def run(p: Params, inputs) -> np.ndarray:
    x = np.asarray(inputs[0], dtype=np.int8)
    n, h, w, c = x.shape
    b = p.block
    y = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
    return np.ascontiguousarray(y).reshape(n, h // b, w // b, c * b * b)


def emit(p: Params, e) -> str:
    return sc.emit("edgenn_space_to_depth", p.walk, e)


C_DEPENDS = ("strided_copy",)
