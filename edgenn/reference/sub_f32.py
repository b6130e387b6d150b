"""SUB, float32: TFLM's reference_ops::SubWithActivation / BroadcastSubSlow (float):
`input1 - input2` per output element, broadcast, then the fused activation's clamp."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _float as fl

NAME = "SUB"
TFLM_RESOLVER = "AddSub"
TFLITE_OPTIONS = "SubOptions"
IN_PLACE = True
TYPES = ("float32",)

Params = fl.BinaryParams
prepare = fl.prepare_binary
run, emit = fl.binary_op(np.subtract, "edgenn_sub_f32")
