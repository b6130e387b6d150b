"""TANH, float32: TFLM's reference_ops::Tanh, std::tanh of each element."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl

NAME = "TANH"
TFLM_RESOLVER = "AddTanh"
IN_PLACE = True
TYPES = ("float32",)


prepare = fl.prepare_unary
run, emit = fl.unary_op(np.tanh, "edgenn_tanh_f32")
