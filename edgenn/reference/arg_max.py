"""ARG_MAX, int8 → int32: TFLM's arg_min_max.cc (reference_ops::ArgMinMax with std::greater).

The index of the first largest code along the one axis: a later equal code does not replace it.
"""

from __future__ import annotations

import numpy as np

from edgenn.reference import _reductions as rd
from edgenn.reference.base import OpContext

NAME = "ARG_MAX"
TFLM_RESOLVER = "AddArgMax"
TFLITE_OPTIONS = "ArgMaxOptions"
C_DEPENDS = ("reductions",)


def prepare(ctx: OpContext) -> rd.ArgParams:
    return rd.arg_prepare(ctx)


def run(p: rd.ArgParams, inputs) -> np.ndarray:
    return rd.arg_run(p, inputs[0], largest=True)


def emit(p: rd.ArgParams, e) -> str:
    return rd.arg_emit(p, e, "edgenn_arg_max")
