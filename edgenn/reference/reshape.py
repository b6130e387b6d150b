"""RESHAPE: TFLM copies the bytes; the output tensor's shape is the new shape."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.graph.tflite import NUMPY_DTYPES
from edgenn.reference import _elementwise as ew
from edgenn.reference.base import OpContext

NAME = "RESHAPE"
TFLM_RESOLVER = "AddReshape"
TFLITE_OPTIONS = "ReshapeOptions"
ALIAS = True


@dataclass(frozen=True)
class Params:
    output_shape: tuple[int, ...]
    dtype: str


def prepare(ctx: OpContext) -> Params:
    inp = ctx.require_dtype(ctx.input(0), "int8", "float32")
    out = ctx.require_dtype(ctx.output(), inp.dtype)
    ew.same_size(ctx, inp, out)
    return Params(out.shape, out.dtype)


def run(p: Params, inputs) -> np.ndarray:
    return np.asarray(inputs[0], dtype=NUMPY_DTYPES[p.dtype]).reshape(p.output_shape)


def emit(p: Params, e) -> str:
    size = int(np.prod(p.output_shape, dtype=np.int64)) * np.dtype(NUMPY_DTYPES[p.dtype]).itemsize
    return f"edgenn_reshape({e.input(0)}, {e.output()}, {size}u);"
