"""Read and validate a .tflite flatbuffer with the schema module that ships with LiteRT; no TensorFlow import."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgenn.errors import ModelFileError
from edgenn.graph.validate import validate

try:
    from ai_edge_litert import schema_py_generated as schema
except ImportError:  # the TFLM package carries the same generated schema
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema


def _enum_names(cls) -> dict[int, str]:
    return {v: k for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


OP_NAMES = _enum_names(schema.BuiltinOperator)
DTYPE_NAMES = {k: v.lower() for k, v in _enum_names(schema.TensorType).items()}
NUMPY_DTYPES = {
    "float32": np.float32,
    "float16": np.float16,
    "int8": np.int8,
    "uint8": np.uint8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "float64": np.float64,
    "bool": np.bool_,
}


@dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: tuple[float, ...]  # empty when not quantized; one per channel when per-channel
    zero_point: tuple[int, ...]
    quantized_dimension: int
    data: np.ndarray | None  # constant data (weights, biases), None for activations

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(NUMPY_DTYPES.get(self.dtype, np.uint8)).itemsize


@dataclass(frozen=True)
class Op:
    index: int
    name: str  # BuiltinOperator name, e.g. CONV_2D, or the custom code
    inputs: tuple[int, ...]  # tensor indices, -1 for an omitted optional input
    outputs: tuple[int, ...]
    options: object | None  # the schema's *OptionsT object


@dataclass(frozen=True)
class Graph:
    path: Path | None
    sha256: str
    size_bytes: int
    tensors: tuple[Tensor, ...]
    ops: tuple[Op, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    # Tensors an op writes besides its output while it runs, and reads only then (a packed layer's
    # decoding table, export/packing.py): bytes for that step, not an output that changes how the op
    # reads its input, so the op may still stream its output over its input.
    side: frozenset[int] = frozenset()

    def results(self, op: Op) -> tuple[int, ...]:
        """op's outputs but its side tensors."""
        return tuple(t for t in op.outputs if t not in self.side)

    @property
    def op_names(self) -> tuple[str, ...]:
        """Distinct op names in first-use order."""
        return tuple(dict.fromkeys(op.name for op in self.ops))

    def input_tensor(self, i: int = 0) -> Tensor:
        return self.tensors[self.inputs[i]]

    def output_tensor(self, i: int = 0) -> Tensor:
        return self.tensors[self.outputs[i]]


def _op_name(code) -> str:
    builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
    if builtin == schema.BuiltinOperator.CUSTOM:
        custom = code.customCode
        return custom.decode("utf-8", "replace") if isinstance(custom, bytes) else str(custom)
    return OP_NAMES[builtin]


def _unpack(data: bytes, where):
    """The schema's object tree of `data`, walked in full (every field read once, bounds-checked)."""
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelFileError(where, "not a TFLite model (no 'TFL3' flatbuffer identifier)")
    try:
        return schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    except Exception as exc:  # the flatbuffers runtime reports truncation as struct/index/value errors
        raise ModelFileError(where, f"corrupt or truncated TFLite model ({type(exc).__name__}: {exc})") from None


def _constant(buf, data: bytes, dtype: str, shape: tuple[int, ...]) -> np.ndarray | None:
    if buf.data is not None and len(buf.data):
        raw = np.asarray(buf.data, dtype=np.uint8).tobytes()
    elif buf.offset and buf.offset > 1:
        raw = data[buf.offset : buf.offset + buf.size]
    else:
        return None
    if dtype not in NUMPY_DTYPES:
        return None
    return np.frombuffer(raw, dtype=NUMPY_DTYPES[dtype]).reshape(shape)


def parse_tflite(data: bytes, path: Path | None = None) -> Graph:
    """Parse and validate flatbuffer bytes (edgenn.graph.validate); any problem is a ModelFileError
    naming `path` and the field."""
    where = path or "<bytes>"
    model = _unpack(data, where)
    validate(model, data, where, schema)
    sub = model.subgraphs[0]
    buffers = model.buffers or []
    tensors = []
    for i, t in enumerate(sub.tensors or []):
        q = t.quantization
        scale = tuple(float(s) for s in (q.scale if q is not None and q.scale is not None else ()))
        zp = tuple(int(z) for z in (q.zeroPoint if q is not None and q.zeroPoint is not None else ()))
        dtype = DTYPE_NAMES[t.type]
        shape = tuple(int(d) for d in (t.shape if t.shape is not None else ()))
        const = _constant(buffers[t.buffer], data, dtype, shape) if t.buffer else None
        name = t.name.decode("utf-8", "replace") if isinstance(t.name, bytes) else (t.name or f"tensor{i}")
        qdim = int(q.quantizedDimension) if q is not None else 0
        tensors.append(Tensor(i, name, shape, dtype, scale, zp, qdim, const))
    codes = model.operatorCodes or []
    ops = tuple(
        Op(
            i,
            _op_name(codes[op.opcodeIndex]),
            tuple(int(x) for x in (op.inputs if op.inputs is not None else ())),
            tuple(int(x) for x in op.outputs),
            op.builtinOptions,
        )
        for i, op in enumerate(sub.operators or [])
    )
    inputs = tuple(int(x) for x in sub.inputs)
    outputs = tuple(int(x) for x in sub.outputs)
    return Graph(path, hashlib.sha256(data).hexdigest(), len(data), tuple(tensors), ops, inputs, outputs)


def model_tree(data: bytes, where=None):
    """The model's validated object tree (schema.ModelT), every buffer's bytes inside it (buffers kept
    after the flatbuffer are moved in), ready to change and serialize again (`serialize`)."""
    model = _unpack(data, where or "<bytes>")
    validate(model, data, where or "<bytes>", schema)
    for buf in model.buffers or []:
        if buf.offset and buf.offset > 1:
            buf.data = np.frombuffer(data[buf.offset : buf.offset + buf.size], dtype=np.uint8)
            buf.offset = buf.size = 0
    return model


def serialize(model, size_hint: int = 0) -> bytes:
    """A schema.ModelT as .tflite bytes."""
    import flatbuffers

    builder = flatbuffers.Builder(size_hint + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def native_bytes(data: bytes, where=None) -> bytes:
    """The model re-serialized from its validated object tree, for native interpreters.

    TFLM and LiteRT read flatbuffers without bounds checks. The Python reader checks every
    offset it follows, but a string it reads past the end of the file comes back cut short
    rather than as an error; re-serializing makes a flatbuffer whose every offset is right by
    construction, with the same content (buffers kept after the flatbuffer are moved inside).
    """
    return serialize(model_tree(data, where), len(data))


def read_tflite(path: str | Path) -> Graph:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(path, "model file not found")
    return parse_tflite(path.read_bytes(), path)
