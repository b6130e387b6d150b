"""What RESHAPE, SQUEEZE and EXPAND_DIMS share: input 0's bytes under the output tensor's shape.

TFLM copies the bytes and changes only the shape, so each op's `prepare` only checks that the
output shape is one its op may give; the arena plan makes the output a view of the input (ALIAS),
and the C copy (edgenn_copy_bytes) runs only where the input cannot be viewed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.graph.tflite import NUMPY_DTYPES

# The bytes are moved as they are, whatever they hold: every activation type.
DTYPES = ("int8", "int16", "float32")
TYPES = ("int8", "int16x8", "float32")


@dataclass(frozen=True)
class Params:
    output_shape: tuple[int, ...]
    dtype: str


def params(out) -> Params:
    """The Params of an alias op whose output tensor `out` prepare has accepted."""
    return Params(out.shape, out.dtype)


def run(p: Params, inputs) -> np.ndarray:
    return np.asarray(inputs[0], dtype=NUMPY_DTYPES[p.dtype]).reshape(p.output_shape)


def emit(p: Params, e, function: str) -> str:
    """The call of `function` (edgenn_reshape, ...), which copies the output's bytes from input 0."""
    size = int(np.prod(p.output_shape, dtype=np.int64)) * np.dtype(NUMPY_DTYPES[p.dtype]).itemsize
    return f"{function}({e.input(0)}, {e.output()}, {size}u);"
