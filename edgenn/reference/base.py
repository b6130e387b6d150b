"""What every op module sees: the op, its tensors, and checks that fail with a clear message.

An op module (one per TFLite op, same name as its C twin in edgenn/firmware/src/) defines:

    NAME = "CONV_2D"
    def prepare(ctx: OpContext) -> params     # all checks and export-time arithmetic
    def run(params, inputs) -> np.ndarray      # the NumPy reference; inputs[i] is op input i
    def emit(params, e: Emitter) -> str        # the C statement(s) that call the firmware kernel

`prepare` does every check (dtypes, options, shapes) so that `run` and the C kernel stay plain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import Graph, Op, Tensor, schema

ACTIVATIONS = {v: k for k, v in vars(schema.ActivationFunctionType).items() if not k.startswith("_")}
PADDINGS = {v: k for k, v in vars(schema.Padding).items() if not k.startswith("_")}


@dataclass(frozen=True)
class OpContext:
    graph: Graph
    op: Op

    @property
    def options(self):
        return self.op.options

    def input(self, i: int) -> Tensor | None:
        """Input tensor i, or None when the optional input is omitted (index -1) or absent."""
        if i >= len(self.op.inputs) or self.op.inputs[i] < 0:
            return None
        return self.graph.tensors[self.op.inputs[i]]

    def output(self, i: int = 0) -> Tensor:
        return self.graph.tensors[self.op.outputs[i]]

    def fail(self, message: str) -> UnsupportedError:
        where = self.graph.path or "<model>"
        return UnsupportedError(where, f"op {self.op.index} ({self.op.name}): {message}")

    def require_dtype(self, tensor: Tensor | None, *dtypes: str) -> Tensor:
        if tensor is None:
            raise self.fail("a required input is missing")
        if tensor.dtype not in dtypes:
            raise self.fail(f"tensor '{tensor.name}' is {tensor.dtype}; supported: {', '.join(dtypes)}")
        return tensor

    def const(self, tensor: Tensor | None) -> np.ndarray:
        if tensor is None or tensor.data is None:
            raise self.fail("expects a constant tensor here")
        return tensor.data

    def per_tensor(self, tensor: Tensor) -> tuple[float, int]:
        """(scale, zero point) of a per-tensor-quantized tensor."""
        if len(tensor.scale) != 1:
            raise self.fail(f"tensor '{tensor.name}' needs per-tensor quantization, has {len(tensor.scale)} scales")
        return tensor.scale[0], tensor.zero_point[0]

    def activation(self) -> str:
        code = getattr(self.options, "fusedActivationFunction", 0) if self.options is not None else 0
        name = ACTIVATIONS.get(code, str(code))
        if name not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            raise self.fail(f"fused activation {name} is not supported")
        return name

    def padding(self) -> str:
        return PADDINGS[self.options.padding]


def compute_padding(padding: str, in_size: int, filter_size: int, stride: int, dilation: int) -> tuple[int, int]:
    """(output size, leading pad) as TFLite's ComputePaddingHeightWidth does."""
    effective = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        out = (in_size + stride - 1) // stride
    else:
        out = (in_size + stride - effective) // stride
    pad = max(0, ((out - 1) * stride + effective - in_size) // 2)
    return out, pad
