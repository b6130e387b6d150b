"""Check a parsed .tflite (the schema's object tree) before anything uses it.

The flatbuffer reader only proves that the bytes can be walked. This module proves that what they
say is a model a microcontroller could run: every index points at something that exists, every
shape is non-negative and bounded, constant buffers are as long as their shapes say, quantization
parameters are usable (scales finite and > 0, zero points inside the type's range, per-channel
arrays as long as their axis), tensor types are ones a microcontroller runtime knows, tensors are
written once and read only after they are written, and nothing exceeds limits no microcontroller
model comes near. TFLM itself checks little of this at run time (it trusts the converter), so a
model that fails here would crash it or, worse, compute from out-of-bounds memory.

Every failure is a ModelFileError naming the file and the field, e.g.
`model.tflite: subgraph 0 tensor 7 ('conv/w'): quantization scale 2 is nan (must be finite and > 0)`.
"""

from __future__ import annotations

import math

from edgenn.errors import ModelFileError, shown

# Limits no microcontroller model comes near (the largest TFLM examples are ~300 KB with ~100
# tensors); they bound what a hostile file can make edgenn allocate or loop over.
MAX_MODEL_BYTES = 256 * 1024 * 1024
MAX_SUBGRAPHS = 64
MAX_TENSORS = 100_000
MAX_OPS = 100_000
MAX_BUFFERS = 100_000
MAX_OP_IO = 4096  # inputs or outputs of one op
MAX_RANK = 6  # TFLM's RuntimeShape holds at most 6 dimensions
MAX_TENSOR_BYTES = 64 * 1024 * 1024
MAX_ACTIVATION_BYTES = 256 * 1024 * 1024  # all non-constant tensors of a subgraph together

# Tensor types with a fixed element size: (bytes per element, integer range for zero points or None).
ELEMENT = {
    "FLOAT32": (4, None),
    "FLOAT16": (2, None),
    "FLOAT64": (8, None),
    "INT32": (4, (-(2**31), 2**31 - 1)),
    "INT64": (8, (-(2**63), 2**63 - 1)),
    "UINT8": (1, (0, 255)),
    "INT8": (1, (-128, 127)),
    "INT16": (2, (-(2**15), 2**15 - 1)),
    "UINT16": (2, (0, 2**16 - 1)),
    "UINT32": (4, (0, 2**32 - 1)),
    "UINT64": (8, (0, 2**64 - 1)),
    "BOOL": (1, None),
    "INT4": (0.5, (-8, 7)),  # constants packed two to a byte
}


class _Checker:
    def __init__(self, model, data: bytes, where, schema):
        self.model, self.data, self.where, self.schema = model, data, where, schema
        self.type_names = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
        self.op_codes = {v for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
        self.option_types = {v for k, v in vars(schema.BuiltinOptions).items() if not k.startswith("_")}

    def fail(self, field: str, problem: str) -> ModelFileError:
        return ModelFileError(self.where, f"invalid TFLite model: {field}: {problem}")

    def index(self, field: str, value, count: int, what: str, optional: bool = False) -> int:
        value = int(value)
        low = -1 if optional else 0
        if not low <= value < count:
            raise self.fail(field, f"{what} index {value} is out of range (the model has {count})")
        return value

    def count(self, field: str, items, limit: int) -> list:
        items = [] if items is None else items
        if len(items) > limit:
            raise self.fail(field, f"{len(items):,} entries (at most {limit:,})")
        return items

    def run(self) -> None:
        m = self.model
        if len(self.data) > MAX_MODEL_BYTES:
            raise self.fail("file", f"{len(self.data):,} bytes (at most {MAX_MODEL_BYTES:,})")
        if m.version != 3:
            raise self.fail("version", f"schema version {m.version} (edgenn reads version 3)")
        buffers = self.count("buffers", m.buffers, MAX_BUFFERS)
        self.buffer_sizes = [self.check_buffer(i, b) for i, b in enumerate(buffers)]
        if self.buffer_sizes and self.buffer_sizes[0]:
            raise self.fail("buffer 0", "holds data; it must be empty (the schema's 'no data' sentinel)")
        codes = self.count("operator_codes", m.operatorCodes, MAX_OPS)
        for i, code in enumerate(codes):
            self.check_code(i, code)
        subgraphs = self.count("subgraphs", m.subgraphs, MAX_SUBGRAPHS)
        if not subgraphs:
            raise self.fail("subgraphs", "the model has none")
        for s, sub in enumerate(subgraphs):
            self.check_subgraph(s, sub, len(codes))
        first = subgraphs[0]
        if first.inputs is None or not len(first.inputs) or first.outputs is None or not len(first.outputs):
            raise self.fail("subgraph 0", "has no inputs or no outputs")
        for i, meta in enumerate(m.metadata or []):
            self.index(f"metadata {i}", meta.buffer, len(buffers), "buffer")
        for i, b in enumerate(m.metadataBuffer if m.metadataBuffer is not None else []):
            self.index(f"metadata_buffer {i}", b, len(buffers), "buffer")
        for i, sig in enumerate(m.signatureDefs or []):
            s = self.index(f"signature {i}", sig.subgraphIndex, len(subgraphs), "subgraph")
            n = len(subgraphs[s].tensors or [])
            for tm in (*(sig.inputs or []), *(sig.outputs or [])):
                self.index(f"signature {i}", tm.tensorIndex, n, "tensor")
        if m.externalBuffers:
            raise self.fail("external_buffers", "buffers kept in other files are not supported")

    def check_buffer(self, i: int, buf) -> int:
        if buf.data is not None and len(buf.data):
            return len(buf.data)
        offset, size = int(buf.offset or 0), int(buf.size or 0)
        if offset > 1:  # large models keep buffers after the flatbuffer
            if offset + size > len(self.data):
                raise self.fail(f"buffer {i}", f"bytes {offset}..{offset + size} lie past the end of the file")
            return size
        return 0

    def check_code(self, i: int, code) -> None:
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        if builtin not in self.op_codes:
            raise self.fail(f"operator_code {i}", f"unknown builtin operator {builtin}")
        if builtin == self.schema.BuiltinOperator.CUSTOM and not code.customCode:
            raise self.fail(f"operator_code {i}", "a custom operator without a name")

    def check_subgraph(self, s: int, sub, n_codes: int) -> None:
        tensors = self.count(f"subgraph {s} tensors", sub.tensors, MAX_TENSORS)
        ops = self.count(f"subgraph {s} operators", sub.operators, MAX_OPS)
        n = len(tensors)
        constant = [self.check_tensor(s, i, t) for i, t in enumerate(tensors)]
        activations = sum(self.nbytes(t) for t, c in zip(tensors, constant, strict=True) if not c)
        if activations > MAX_ACTIVATION_BYTES:
            raise self.fail(f"subgraph {s}", f"{activations:,} bytes of activations (at most {MAX_ACTIVATION_BYTES:,})")
        inputs = self.count(f"subgraph {s} inputs", sub.inputs, MAX_OP_IO)
        outputs = self.count(f"subgraph {s} outputs", sub.outputs, MAX_OP_IO)
        written = set()
        for i in inputs:
            t = self.index(f"subgraph {s} inputs", i, n, "tensor")
            if constant[t]:
                raise self.fail(f"subgraph {s} inputs", f"tensor {t} is a constant")
            written.add(t)
        written.update(i for i, t in enumerate(tensors) if t.isVariable)
        for k, op in enumerate(ops):
            field = f"subgraph {s} operator {k}"
            self.index(field, op.opcodeIndex, n_codes, "operator_code")
            op_in = self.count(f"{field} inputs", op.inputs, MAX_OP_IO)
            op_out = self.count(f"{field} outputs", op.outputs, MAX_OP_IO)
            if not len(op_out):
                raise self.fail(field, "has no outputs")
            for i in op_in:
                t = self.index(f"{field} inputs", i, n, "tensor", optional=True)
                if t >= 0 and not constant[t] and t not in written and self.nbytes(tensors[t]):
                    raise self.fail(f"{field} inputs", f"tensor {t} is read before any operator writes it")
            for i in op_out:
                t = self.index(f"{field} outputs", i, n, "tensor")
                if constant[t]:
                    raise self.fail(f"{field} outputs", f"tensor {t} is a constant")
                if t in written and not tensors[t].isVariable:
                    raise self.fail(f"{field} outputs", f"tensor {t} is written twice")
                written.add(t)
            for i in self.count(f"{field} intermediates", op.intermediates, MAX_OP_IO):
                written.add(self.index(f"{field} intermediates", i, n, "tensor"))
            if int(op.builtinOptionsType) not in self.option_types:
                raise self.fail(field, f"unknown builtin options type {op.builtinOptionsType}")
            if op.largeCustomOptionsSize:
                raise self.fail(field, "custom options stored outside the flatbuffer are not supported")
        for i in outputs:
            t = self.index(f"subgraph {s} outputs", i, n, "tensor")
            if not constant[t] and t not in written:
                raise self.fail(f"subgraph {s} outputs", f"tensor {t} is never written")

    def nbytes(self, t) -> int:
        elements = math.prod(int(d) for d in (t.shape if t.shape is not None else ()))
        return math.ceil(elements * ELEMENT[self.type_names[t.type]][0])

    def check_tensor(self, s: int, i: int, t) -> bool:
        """Checks tensor i; returns whether it is a constant (has data)."""
        name = t.name.decode("utf-8", "replace") if isinstance(t.name, bytes) else str(t.name or "")
        field = f"subgraph {s} tensor {i} ({shown(name, 40)!r})"
        type_name = self.type_names.get(t.type)
        if type_name is None:
            raise self.fail(field, f"unknown tensor type {t.type}")
        if type_name not in ELEMENT:
            raise self.fail(field, f"type {type_name}, which no microcontroller runtime supports")
        shape = [int(d) for d in (t.shape if t.shape is not None else ())]
        if len(shape) > MAX_RANK:
            raise self.fail(field, f"rank {len(shape)} (at most {MAX_RANK})")
        if any(d < 0 for d in shape):
            raise self.fail(field, f"shape {shape} has a negative dimension")
        if self.nbytes(t) > MAX_TENSOR_BYTES:
            raise self.fail(field, f"shape {shape} is {self.nbytes(t):,} bytes (at most {MAX_TENSOR_BYTES:,})")
        if t.shapeSignature is not None and len(t.shapeSignature):
            sig = [int(d) for d in t.shapeSignature]
            if len(sig) != len(shape) or any(d < -1 for d in sig):
                raise self.fail(field, f"shape signature {sig} does not match shape {shape}")
        if t.sparsity is not None:
            raise self.fail(field, "sparse tensor encoding is not supported")
        if t.variantTensors:
            raise self.fail(field, "variant tensors are not supported")
        b = self.index(field, t.buffer, len(self.buffer_sizes), "buffer")
        size = self.buffer_sizes[b]
        if size and size != self.nbytes(t):
            need = self.nbytes(t)
            raise self.fail(field, f"buffer {b} holds {size:,} bytes; shape {shape} of {type_name} needs {need:,}")
        self.check_quantization(field, t, type_name, shape)
        return bool(size)

    def check_quantization(self, field: str, t, type_name: str, shape: list[int]) -> None:
        q = t.quantization
        if q is None:
            return
        if q.detailsType:
            raise self.fail(field, "custom quantization details are not supported")
        scale = [float(v) for v in (q.scale if q.scale is not None else [])]
        zero = [int(z) for z in (q.zeroPoint if q.zeroPoint is not None else [])]
        if not len(scale) and not len(zero):
            return
        if len(scale) != len(zero):
            raise self.fail(field, f"{len(scale)} quantization scales but {len(zero)} zero points")
        for k, v in enumerate(scale):
            if not (math.isfinite(v) and v > 0):
                raise self.fail(field, f"quantization scale {k} is {v!r} (must be finite and > 0)")
        # Per-channel: as many scales as the quantized dimension is long. Converters leave a stale
        # dimension on 1-D tensors (biases), whose scales then run along their only axis.
        qdim = int(q.quantizedDimension)
        channels = shape[qdim] if 0 <= qdim < len(shape) else math.prod(shape)
        if len(scale) > 1 and len(scale) != channels:
            raise self.fail(field, f"{len(scale)} per-channel scales for dimension {qdim} of shape {shape}")
        bounds = ELEMENT[type_name][1]
        if bounds is not None:
            low, high = bounds
            for k, z in enumerate(zero):
                if not low <= z <= high:
                    raise self.fail(field, f"zero point {k} is {z}, outside {type_name}'s range {low}..{high}")


def validate(model, data: bytes, where, schema) -> None:
    """Raise ModelFileError naming `where` and the field for the first problem found in `model`."""
    _Checker(model, data, where, schema).run()
