"""The validating reader: each kind of damage to a real model is refused with the file and the field named."""

from __future__ import annotations

import flatbuffers
import numpy as np
import pytest

from edgenn.errors import ModelFileError
from edgenn.graph.tflite import native_bytes, parse_tflite, read_tflite, schema


def load(tflm_examples, name="hello_world_int8"):
    data = (tflm_examples / f"{name}.tflite").read_bytes()
    return schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))


def pack(model) -> bytes:
    b = flatbuffers.Builder(1 << 16)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def refused(model, *needles):
    with pytest.raises(ModelFileError) as info:
        parse_tflite(pack(model), "m.tflite")
    line = info.value.line()
    assert line.startswith("m.tflite: invalid TFLite model: ")
    for needle in needles:
        assert needle in line, line
    assert "\n" not in line


def weights(model):
    """Index of the first tensor that holds constant data, and the tensor."""
    sub = model.subgraphs[0]
    for i, t in enumerate(sub.tensors):
        if t.buffer and model.buffers[t.buffer].data is not None and len(model.buffers[t.buffer].data):
            return i, t
    raise AssertionError("no constant tensor")


def test_every_tflm_example_passes(tflm_examples):
    for path in sorted(tflm_examples.glob("*.tflite")):
        read_tflite(path)


@pytest.mark.parametrize("value", [float("nan"), 0.0, -1.0, float("inf")])
def test_bad_scale(tflm_examples, value):
    m = load(tflm_examples)
    m.subgraphs[0].tensors[0].quantization.scale = [value]
    refused(m, "tensor 0", "quantization scale 0", "finite and > 0")


def test_zero_point_outside_the_type(tflm_examples):
    m = load(tflm_examples)
    t = m.subgraphs[0].tensors[m.subgraphs[0].inputs[0]]
    t.quantization.zeroPoint = [200]
    refused(m, "zero point 0 is 200", "INT8's range -128..127")


def test_per_channel_scales_must_match_their_axis(tflm_examples):
    m = load(tflm_examples, "person_detect")
    i, t = next(
        (i, t) for i, t in enumerate(m.subgraphs[0].tensors) if t.quantization and len(t.quantization.scale) > 1
    )
    t.quantization.scale = list(t.quantization.scale)[:-1]
    t.quantization.zeroPoint = list(t.quantization.zeroPoint)[:-1]
    refused(m, f"tensor {i}", "per-channel scales")


@pytest.mark.parametrize(
    "change, needle",
    [
        (lambda m: setattr(m.subgraphs[0].tensors[0], "buffer", 10_000), "buffer index 10000 is out of range"),
        (lambda m: setattr(m.subgraphs[0].operators[0], "opcodeIndex", 7), "operator_code index 7"),
        (lambda m: setattr(m.subgraphs[0].operators[0], "inputs", [0, 999]), "tensor index 999"),
        (lambda m: setattr(m.subgraphs[0].operators[0], "outputs", [-1]), "tensor index -1"),
        (lambda m: setattr(m.subgraphs[0], "inputs", [12345]), "subgraph 0 inputs"),
        (lambda m: setattr(m.subgraphs[0].tensors[0], "shape", [1, -4]), "negative dimension"),
        (lambda m: setattr(m.subgraphs[0].tensors[0], "shape", [1] * 7), "rank 7 (at most 6)"),
        (lambda m: setattr(m.subgraphs[0].tensors[0], "shape", [65536, 65536]), "bytes (at most"),
        (lambda m: setattr(m.subgraphs[0].tensors[0], "type", 99), "unknown tensor type 99"),
        (lambda m: setattr(m.subgraphs[0].tensors[0], "type", schema.TensorType.STRING), "type STRING"),
        (lambda m: setattr(m, "version", 2), "schema version 2"),
        (lambda m: setattr(m, "subgraphs", []), "the model has none"),
        (lambda m: setattr(m.operatorCodes[0], "builtinCode", 4000), "unknown builtin operator 4000"),
        (lambda m: m.subgraphs[0].operators.reverse(), "read before any operator writes it"),
    ],
)
def test_structural_damage(tflm_examples, change, needle):
    m = load(tflm_examples)
    change(m)
    refused(m, needle)


def test_buffer_shorter_than_its_shape(tflm_examples):
    m = load(tflm_examples)
    i, t = weights(m)
    buf = m.buffers[t.buffer]
    buf.data = np.asarray(buf.data)[:-1]
    refused(m, f"tensor {i}", "needs")


def test_an_op_writing_a_constant(tflm_examples):
    m = load(tflm_examples)
    i, _ = weights(m)
    m.subgraphs[0].operators[0].outputs = [i]
    refused(m, f"tensor {i} is a constant")


def test_hostile_tensor_name_stays_one_line(tflm_examples):
    m = load(tflm_examples)
    t = m.subgraphs[0].tensors[0]
    t.name = b"evil\n\x1b[31mname" + b"x" * 5000
    t.quantization.scale = [float("nan")]
    with pytest.raises(ModelFileError) as info:
        parse_tflite(pack(m), "m.tflite")
    line = info.value.line()
    assert "\n" not in line and "\x1b" not in line and len(line) <= 400


def test_native_bytes_read_back_the_same(tflm_examples):
    for name in ("hello_world_int8", "person_detect", "micro_speech_quantized"):
        data = (tflm_examples / f"{name}.tflite").read_bytes()
        a, b = parse_tflite(data), parse_tflite(native_bytes(data))
        assert [t.shape for t in a.tensors] == [t.shape for t in b.tensors]
        assert [op.name for op in a.ops] == [op.name for op in b.ops]
        for ta, tb in zip(a.tensors, b.tensors, strict=True):
            assert (ta.data is None) == (tb.data is None)
            if ta.data is not None:
                assert np.array_equal(ta.data, tb.data)
