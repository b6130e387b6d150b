"""Read and validate an .onnx file before onnxruntime sees it: ONNX's own checker, then ours.

The checker (with shape inference) proves the graph is well formed; on top, edgenn refuses what a
microcontroller model never has and what would make onnxruntime read other files or allocate
without bound: tensors stored in external files, non-positive or huge dimensions, graphs without
an input or an output. The checker is C++ run on untrusted bytes, so it runs isolated too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from edgenn.errors import ModelFileError, shown
from edgenn.graph.validate import MAX_MODEL_BYTES, MAX_TENSOR_BYTES
from edgenn.isolate import isolated

MAX_NODES = 100_000


@dataclass(frozen=True)
class OnnxInfo:
    input_type: str  # e.g. "float32", "int8"
    input_shape: tuple[int | None, ...]  # None for a symbolic dimension (the batch)
    output_type: str


def _check(data: bytes) -> OnnxInfo | str:
    """The model's I/O, or the first problem found as one sentence."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        return f"not a valid ONNX model ({type(exc).__name__}: {exc})"
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        return f"the ONNX checker refuses it: {str(exc).strip()}"
    except Exception as exc:  # the checker's C++ raises other types on some hostile inputs
        return f"the ONNX checker refuses it: {type(exc).__name__}: {exc}"
    g = model.graph
    if len(g.node) > MAX_NODES:
        return f"{len(g.node):,} nodes (at most {MAX_NODES:,})"
    initializers = {t.name for t in g.initializer}
    inputs = [i for i in g.input if i.name not in initializers]
    if not inputs or not len(g.output):
        return "the graph has no input or no output"
    for t in g.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL or t.external_data:
            return f"initializer {t.name!r} is stored in another file; edgenn reads single-file models only"
        if any(d < 0 for d in t.dims):
            return f"initializer {t.name!r} has a negative dimension {list(t.dims)}"
        size = onnx.helper.tensor_dtype_to_np_dtype(t.data_type).itemsize if t.data_type else 1
        if math.prod(t.dims) * size > MAX_TENSOR_BYTES:
            return f"initializer {t.name!r} is larger than {MAX_TENSOR_BYTES:,} bytes"

    def io(value) -> tuple[str, tuple[int | None, ...]]:
        tt = value.type.tensor_type
        if not value.type.HasField("tensor_type") or not tt.elem_type:
            raise ValueError(f"{value.name!r} is not a tensor")
        dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim)
        if any(d is not None and d <= 0 for d in dims[1:]) or math.prod(d or 1 for d in dims) * 8 > MAX_TENSOR_BYTES:
            raise ValueError(f"{value.name!r} has shape {dims}")
        return onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type).name, dims

    try:
        (in_type, in_shape), (out_type, _) = io(inputs[0]), io(g.output[0])
    except ValueError as exc:
        return f"unusable input or output: {exc}"
    return OnnxInfo(in_type, in_shape, out_type)


def read_onnx(path: Path) -> tuple[bytes, OnnxInfo]:
    """The bytes of a validated .onnx file and its first input's and output's types."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(path, "model file not found")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise ModelFileError(path, f"larger than {MAX_MODEL_BYTES:,} bytes: not a microcontroller model")
    data = path.read_bytes()
    found = isolated(lambda: _check(data), "the ONNX checker", path)
    if isinstance(found, str):
        raise ModelFileError(path, shown(found, 300))
    return data, found
