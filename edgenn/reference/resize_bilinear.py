"""RESIZE_BILINEAR, int8 NHWC: TFLM's reference_ops::ResizeBilinearInteger.

Each output blends the four nearest input codes with 10-bit fractions per axis (export-time
tables, `_resize.bilinear_axis`), then rounds the 20-bit sum half away from zero. The codes are
not rescaled: the output keeps the input's quantization, as TFLM does.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _resize
from edgenn.reference._resize import Params
from edgenn.reference.base import OpContext

NAME = "RESIZE_BILINEAR"
TFLM_RESOLVER = "AddResizeBilinear"
TFLITE_OPTIONS = "ResizeBilinearOptions"
CONSTANTS = ("tables",)
C_DEPENDS = ("resize",)


def prepare(ctx: OpContext) -> Params:
    return _resize.prepare(ctx, _resize.bilinear_axis)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].reshape(p.input_shape).astype(np.int64)
    one = _resize.ONE
    y0, y1, fy = (p.rows[:, k] for k in range(3))
    x0, x1, fx = (p.cols[:, k] for k in range(3))
    wx0, wx1 = (one - fx)[None, :, None], fx[None, :, None]
    top = x[:, y0][:, :, x0] * wx0 + x[:, y0][:, :, x1] * wx1
    bottom = x[:, y1][:, :, x0] * wx0 + x[:, y1][:, :, x1] * wx1
    acc = top * (one - fy)[:, None, None] + bottom * fy[:, None, None]
    q = (np.abs(acc) + (1 << 19)) >> 20  # (acc ± 2^19) / 2^20, truncating: halves away from zero
    return np.where(acc < 0, -q, q).astype(np.int8)


def macs(graph, op) -> int:
    return 4 * int(np.prod(graph.tensors[op.outputs[0]].shape, dtype=np.int64))


def emit(p: Params, e) -> str:
    return _resize.emit(p, e, "resize_bilinear")
