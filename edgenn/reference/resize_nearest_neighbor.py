"""RESIZE_NEAREST_NEIGHBOR, int8 NHWC: TFLM's reference_ops::ResizeNearestNeighbor.

Copies input codes (no rescaling). TFLM picks each source row and column in float32; that is
done once at export (`_resize.nearest_axis`), so the C only reads two index tables.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _resize
from edgenn.reference._resize import Params
from edgenn.reference.base import OpContext

NAME = "RESIZE_NEAREST_NEIGHBOR"
TFLM_RESOLVER = "AddResizeNearestNeighbor"
TFLITE_OPTIONS = "ResizeNearestNeighborOptions"
CONSTANTS = ("tables",)
C_DEPENDS = ("resize",)


def prepare(ctx: OpContext) -> Params:
    return _resize.prepare(ctx, _resize.nearest_axis)


def run(p: Params, inputs) -> np.ndarray:
    x = inputs[0].reshape(p.input_shape)
    return np.ascontiguousarray(x[:, p.rows][:, :, p.cols]).astype(np.int8)


def emit(p: Params, e) -> str:
    return _resize.emit(p, e, "resize_nearest_neighbor")
