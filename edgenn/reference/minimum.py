"""MINIMUM, int8: TFLM's reference_ops::MaximumMinimumBroadcastSlow with MinimumOp (`a < b ? a : b`
on the int8 codes; prepare, run and emit are _binary_math's)."""

from __future__ import annotations

import numpy as np

from edgenn.reference import _binary_math as bm

NAME = "MINIMUM"
TFLM_RESOLVER = "AddMinimum"
TFLITE_OPTIONS = "MaximumMinimumOptions"
IN_PLACE = True
C_DEPENDS = ("elementwise",)

Params = bm.Params
prepare = bm.prepare_compare


def run(p: Params, inputs) -> np.ndarray:
    return bm.run_compare(p, inputs, np.minimum)


def emit(p: Params, e) -> str:
    return bm.emit_compare(p, e, "edgenn_minimum")
