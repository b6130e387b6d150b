"""CONCATENATION, float32: TFLM's reference_ops::Concatenation (float) only moves values, so the
int8 kernel (concatenation.c) copies the floats' bytes: every size in bytes."""

from __future__ import annotations

import numpy as np

from edgenn.reference import concatenation
from edgenn.reference.base import OpContext

NAME = "CONCATENATION"
TFLM_RESOLVER = "AddConcatenation"
TFLITE_OPTIONS = "ConcatenationOptions"
TYPES = ("float32",)
C_DEPENDS = ("concatenation",)


Params = concatenation.Params


def prepare(ctx: OpContext) -> Params:
    return concatenation.concat_params(ctx, "float32")


def run(p: Params, inputs) -> np.ndarray:
    return np.concatenate([np.asarray(x, np.float32) for x in inputs], axis=p.axis).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    return concatenation.emit_call(p, e, "edgenn_concatenation_f32", 4, "(const int8_t *)(const void *)")
