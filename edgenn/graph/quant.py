"""Quantization parameters of a tensor and the affine maps between floats and integer codes.

Beside the graph, below everything that runs a model: runners, the firmware tools and the
optimizers all quantize the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.graph.tflite import NUMPY_DTYPES, Graph


@dataclass(frozen=True)
class QuantParams:
    scale: float
    zero_point: int
    dtype: type = np.int8


def quantize(x: np.ndarray, q: QuantParams) -> np.ndarray:
    info = np.iinfo(q.dtype)
    return np.clip(np.round(x / q.scale) + q.zero_point, info.min, info.max).astype(q.dtype)


def dequantize(codes: np.ndarray, q: QuantParams | None) -> np.ndarray:
    if q is None:
        return codes.astype(np.float32)
    return ((codes.astype(np.int32) - q.zero_point) * np.float32(q.scale)).astype(np.float32)


def io_quant(graph: Graph) -> tuple[QuantParams | None, QuantParams | None]:
    def one(t):
        if t.dtype in ("int8", "uint8", "int16") and t.scale:
            return QuantParams(t.scale[0], t.zero_point[0], NUMPY_DTYPES[t.dtype])
        return None

    return one(graph.input_tensor()), one(graph.output_tensor())
