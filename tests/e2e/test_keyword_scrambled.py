"""TFLM's keyword_scrambled example through codegen: int16 in, QUANTIZE, seven SVDFs between
FULLY_CONNECTEDs, SOFTMAX to int16, QUANTIZE to int32; bit-exact with TFLM over a sequence of inputs.

The SVDFs' state carries from one input to the next, so every check runs a sequence through one TFLM
interpreter, one prepared reference graph and one generated C program. The example's weights are
scrambled: its biases saturate every SVDF, so its outputs do not depend on the input. The same model
with its biases zeroed is checked too, where they do (and on the inputs before).
"""

from __future__ import annotations

import json

import flatbuffers
import numpy as np
import pytest

from edgenn.export.codegen import codegen
from edgenn.graph.tflite import parse_tflite, schema
from tests.conftest import require_target_tools, run_cli
from tests.kernels.harness import check_bit_exact, check_folder_on_target, tflm_outputs

MODEL = "keyword_scrambled_8bit.tflite"
OPS = ["QUANTIZE", *["SVDF", "FULLY_CONNECTED"] * 4, "SVDF", "SVDF", "SVDF", "FULLY_CONNECTED", "SOFTMAX", "QUANTIZE"]


def zero_biases(data: bytes) -> bytes:
    """The model with every int32 constant (the biases) zeroed."""
    model = schema.ModelT.InitFromPackedBuf(data, 0)
    for t in model.subgraphs[0].tensors:
        buf = model.buffers[t.buffer]
        if t.type == schema.TensorType.INT32 and buf.data is not None:
            buf.data = np.zeros(len(buf.data), np.uint8)
    builder = flatbuffers.Builder(len(data))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def sequence(count: int = 12, seed: int = 0) -> np.ndarray:
    """Random int16 inputs, with the same one twice in a row at the end."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-32768, 32768, size=(count, 1, 96)).astype(np.int16)
    x[-1] = x[-2]
    return x


@pytest.fixture(scope="module")
def variants(tflm_examples, tmp_path_factory) -> dict:
    """name -> (generated folder, .tflite bytes, inputs, TFLM's outputs)."""
    original = (tflm_examples / MODEL).read_bytes()
    made = {}
    for name, data in (("example", original), ("zero-biases", zero_biases(original))):
        root = tmp_path_factory.mktemp(name)
        (root / "model.tflite").write_bytes(data)
        x = sequence()
        made[name] = (codegen(root / "model.tflite", root / "c", name="kws"), data, x, tflm_outputs(data, x))
    return made


def test_the_model_is_what_this_file_says(tflm_examples):
    graph = parse_tflite((tflm_examples / MODEL).read_bytes())
    assert [op.name for op in graph.ops] == OPS
    assert (graph.input_tensor().dtype, graph.output_tensor().dtype) == ("int16", "int32")


def test_analyze_finds_every_op_supported(tflm_examples):
    proc = run_cli("analyze", str(tflm_examples / MODEL), "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["route"] == "c" and r["unsupported_ops"] == []
    # Seven SVDF states (4 x 512 and 3 x 1,024 bytes) live throughout, and still below TFLM's arena.
    assert 4 * 512 + 3 * 1024 <= r["ram"]["arena"] < r["tflm_arena_bytes"]


@pytest.mark.parametrize("name", ["example", "zero-biases"])
def test_reference(variants, name):
    _, data, x, want = variants[name]
    assert np.array_equal(check_bit_exact(data, inputs=x), want)


def test_outputs_depend_on_the_inputs_before(variants):
    from edgenn.reference import interpreter

    _, data, x, want = variants["zero-biases"]
    assert len(np.unique(want.reshape(len(want), -1), axis=0)) > 3
    # The same input twice in a row: every SVDF's output differs, having seen one more input.
    graph = parse_tflite(data)
    prepared = interpreter.prepare(graph)
    values = [interpreter.run_all(graph, v, prepared) for v in x]
    for op in graph.ops:
        if op.name == "SVDF":
            assert not np.array_equal(values[-1][op.outputs[0]], values[-2][op.outputs[0]]), op.index


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_in_c(variants, target):
    require_target_tools(target)
    for name in ("example", "zero-biases"):
        folder, _, x, want = variants[name]
        check_folder_on_target(folder, x, want, target)
