"""NEG, float32 only: TFLM's reference_ops::Negate, -x (TFLM runs no other type)."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl

NAME = "NEG"
TFLM_RESOLVER = "AddNeg"
TFLITE_OPTIONS = "NegOptions"
IN_PLACE = True
TYPES = ("float32",)


prepare = fl.prepare_unary
run, emit = fl.unary_op(np.negative, "edgenn_neg")
