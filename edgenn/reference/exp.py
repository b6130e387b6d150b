"""EXP, float32 only: TFLM's reference_ops::Exp, std::exp of each element (TFLM runs no other type)."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl

NAME = "EXP"
TFLM_RESOLVER = "AddExp"
TFLITE_OPTIONS = "ExpOptions"
IN_PLACE = True
TYPES = ("float32",)


def _exp(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # to +inf, as std::exp
        return np.exp(x)


prepare = fl.prepare_unary
run, emit = fl.unary_op(_exp, "edgenn_exp")
