"""RELU, float32: TFLM's ReluFloat, `x > max ? max : x < 0 ? 0 : x` with max the largest float."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl
from edgenn.reference._float import F32, FLT_MAX

NAME = "RELU"
TFLM_RESOLVER = "AddRelu"
IN_PLACE = True
TYPES = ("float32",)


def _relu(x: np.ndarray) -> np.ndarray:
    # +inf is the one value above the largest float.
    return np.where(x > FLT_MAX, F32(FLT_MAX), np.where(x < 0, F32(0.0), x))


prepare = fl.prepare_unary
run, emit = fl.unary_op(_relu, "edgenn_relu_f32")
