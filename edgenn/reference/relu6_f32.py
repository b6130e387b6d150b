"""RELU6, float32: TFLM's Relu6Float, `x > 6 ? 6 : x < 0 ? 0 : x`."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl
from edgenn.reference._float import F32

NAME = "RELU6"
TFLM_RESOLVER = "AddRelu6"
IN_PLACE = True
TYPES = ("float32",)


def _relu6(x: np.ndarray) -> np.ndarray:
    return np.where(x > 6, F32(6.0), np.where(x < 0, F32(0.0), x))


prepare = fl.prepare_unary
run, emit = fl.unary_op(_relu6, "edgenn_relu6_f32")
