"""LOGISTIC, float32: TFLM's reference_ops::Logistic: 1 above 16.619047, exp(x) below -9,
else 1 / (1 + exp(-x))."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl
from edgenn.reference._float import F32

NAME = "LOGISTIC"
TFLM_RESOLVER = "AddLogistic"
IN_PLACE = True
TYPES = ("float32",)

# reference_ops::Logistic's cutoffs: beyond them the float result is 1, or exp(x) alone.
UPPER = np.float32(16.619047164916992188)
LOWER = np.float32(-9.0)


def _logistic(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        y = np.where(x < LOWER, np.exp(x), F32(1.0) / (F32(1.0) + np.exp(-x)))
    return np.where(x > UPPER, F32(1.0), y).astype(F32)


prepare = fl.prepare_unary
run, emit = fl.unary_op(_logistic, "edgenn_logistic_f32")
