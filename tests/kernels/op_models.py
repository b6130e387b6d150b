"""Models for the elementwise and data-movement kernel tests, beyond what harness.int8_tflite builds.

`single_op_model("ADD", [x, c], y, options)` wires `T` tensor specs into a one-op model by hand
(its only non-constant input is the graph input), for ops the converter never emits on its own
(SQUEEZE) and to pin exact scales. `float_io_tflite` converts with float32 model input and/or
output, which brings QUANTIZE and DEQUANTIZE. `check_bytes_exact` compares raw output bytes, so
float outputs must match to the bit (0.0 vs -0.0 included); `check_c_bytes_exact` does the same
for the generated, compiled C.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import flatbuffers
import numpy as np

from edgenn.graph.tflite import parse_tflite, schema
from edgenn.reference import traits
from tests.kernels.harness import c_outputs, reference_outputs, tflm_outputs

TYPES = {
    "int8": schema.TensorType.INT8,
    "int16": schema.TensorType.INT16,
    "float32": schema.TensorType.FLOAT32,
    "int32": schema.TensorType.INT32,
}


@dataclass
class T:
    shape: tuple[int, ...]
    dtype: str = "int8"
    scale: float | None = None
    zero_point: int = 0
    data: np.ndarray | None = None  # a constant when set
    variable: bool = False  # state that persists between runs (an SVDF's or LSTM's), not a graph input


def single_op_model(op: str, inputs: list[T], output: T | list[T], options: dict | None = None) -> bytes:
    """One op; `output` may be a list for an op with several outputs (all are graph outputs)."""
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    model = schema.ModelT()
    model.version = 3
    model.buffers = [schema.BufferT()]  # buffer 0 is the empty sentinel
    tensors = []
    for i, spec in enumerate([*inputs, *outputs]):
        t = schema.TensorT()
        t.name = f"t{i}".encode()
        t.shape = list(spec.shape)
        t.type = TYPES[spec.dtype]
        t.buffer = 0
        t.isVariable = spec.variable
        if spec.scale is not None:
            q = schema.QuantizationParametersT()
            q.scale = [float(np.float32(spec.scale))]
            q.zeroPoint = [int(spec.zero_point)]
            t.quantization = q
        if spec.data is not None:
            buf = schema.BufferT()
            buf.data = list(np.ascontiguousarray(spec.data, dtype=spec.dtype).tobytes())
            model.buffers.append(buf)
            t.buffer = len(model.buffers) - 1
        tensors.append(t)
    graph_inputs = [i for i, spec in enumerate(inputs) if spec.data is None and not spec.variable]
    code = schema.OperatorCodeT()
    code.builtinCode = getattr(schema.BuiltinOperator, op)
    code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    code.version = 1
    operator = schema.OperatorT()
    operator.opcodeIndex = 0
    operator.inputs = list(range(len(inputs)))
    operator.outputs = list(range(len(inputs), len(inputs) + len(outputs)))
    kind = traits(op).tflite_options
    if kind is not None:
        opts = getattr(schema, f"{kind}T")()
        for k, v in (options or {}).items():
            setattr(opts, k, v)
        operator.builtinOptionsType = getattr(schema.BuiltinOptions, kind)
        operator.builtinOptions = opts
    sub = schema.SubGraphT()
    sub.tensors = tensors
    sub.inputs = graph_inputs
    sub.outputs = list(range(len(inputs), len(inputs) + len(outputs)))
    sub.operators = [operator]
    model.subgraphs = [sub]
    model.operatorCodes = [code]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


# Every C broadcast walk: the graph input's shape, then the constant's (edgenn.toolchain.run reads
# outputs back as batch-1 samples, so every output here has a leading 1).
C_BROADCAST_SHAPES = [
    ((1, 4, 3), (3,)),  # a per-channel vector
    ((3,), (1, 4, 3)),  # the vector is input 1
    ((1, 6), (6,)),  # equal once padded
    ((1, 2, 3, 4), ()),  # a scalar
    ((1, 4, 5), (1, 4, 1)),  # held along the innermost dim
    ((1, 2, 1, 4, 1, 3), (1, 1, 5, 1, 2, 1)),  # six dims, both broadcast
    ((1, 3, 2, 2, 5, 2), (1, 3, 1, 2, 1, 2)),
]


CODES = np.arange(-128, 128, dtype=np.int8)

# (graph input shape and sample, constant shape and data, constant first): 65536 outputs, every pair once.
PAIR_LAYOUTS = {
    "flat": ((1, 65536), np.repeat(CODES, 256), (1, 65536), np.tile(CODES, 256), False),
    "repeat": ((1, 256, 256), np.repeat(CODES, 256), (256,), CODES, False),
    "repeat-first": ((1, 256, 256), np.repeat(CODES, 256), (256,), CODES, True),
    "general": ((1, 256, 1), CODES, (1, 1, 256), CODES, False),
}


def every_pair_model(op: str, layout: str, scales, zero_points) -> tuple[bytes, np.ndarray]:
    """A one-op ADD or MUL model whose one sample pairs every input code with every constant code."""
    x_shape, x, c_shape, c, const_first = PAIR_LAYOUTS[layout]
    (s1, s2, so), (z1, z2, zo) = scales, zero_points
    inputs = [T(x_shape, scale=s1, zero_point=z1), T(c_shape, scale=s2, zero_point=z2, data=c.reshape(c_shape))]
    out = T((1, 256, 256) if layout != "flat" else (1, 65536), scale=so, zero_point=zo)
    data = single_op_model(op, inputs[::-1] if const_first else inputs, out)
    return data, x.reshape(1, *x_shape).astype(np.int8)


def op_names(data: bytes) -> tuple[str, ...]:
    return parse_tflite(data).op_names


def float_io_tflite(
    model, float_input: bool = True, float_output: bool = True, low: float = -1.0, high: float = 1.0, seed: int = 0
) -> bytes:
    """Full-integer conversion that leaves the model input and/or output float32."""
    from edgenn.convert.tflite import VARIANTS, keras_converter, to_tflite

    shape = tuple(model.inputs[0].shape)
    calib = np.random.default_rng(seed).uniform(low, high, (64, *shape[1:])).astype(np.float32)
    variant = replace(
        VARIANTS["int8_per_channel"],
        input_type="float32" if float_input else "int8",
        output_type="float32" if float_output else "int8",
    )
    return to_tflite(keras_converter(model), variant, calib)


def assert_same_bytes(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape, (got.shape, got.dtype, want.shape, want.dtype)
    a = np.ascontiguousarray(got).view(np.uint8).reshape(len(got), -1)
    b = np.ascontiguousarray(want).view(np.uint8).reshape(len(want), -1)
    bad = np.argwhere(a != b)
    assert len(bad) == 0, (
        f"{len(bad)} of {b.size} bytes differ ({what}); first in sample {bad[0][0]}: "
        f"ours {got[bad[0][0]].ravel()[:8]}, TFLM {want[bad[0][0]].ravel()[:8]}"
    )


def check_bytes_exact(data: bytes, inputs: np.ndarray) -> np.ndarray:
    """Assert TFLM and the reference produce identical output bytes for every input; returns them."""
    want = tflm_outputs(data, inputs)
    assert_same_bytes(reference_outputs(data, inputs), want, f"ops {op_names(data)}")
    return want


def check_c_bytes_exact(data: bytes, workdir, inputs: np.ndarray, target: str = "host") -> np.ndarray:
    """Assert TFLM and the generated C (compiled for `target`) produce identical output bytes; returns them."""
    want = tflm_outputs(data, inputs)
    got = c_outputs(data, inputs, workdir, target).reshape(want.shape)
    assert_same_bytes(got, want, f"C, ops {op_names(data)}")
    return want
