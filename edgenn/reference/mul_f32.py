"""MUL, float32: TFLM's reference_ops::Mul / BroadcastMul6DSlow (float): `input1 * input2` per output element,
broadcast, then the fused activation's clamp."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl

NAME = "MUL"
TFLM_RESOLVER = "AddMul"
TFLITE_OPTIONS = "MulOptions"
IN_PLACE = True
TYPES = ("float32",)

Params = fl.BinaryParams
prepare = fl.prepare_binary
run, emit = fl.binary_op(np.multiply, "edgenn_mul_f32")
