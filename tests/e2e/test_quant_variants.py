"""Every quantization variant of the digits CNN converts, runs somewhere, and stays accurate."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from edgenn.data.splits import load_build_data
from edgenn.errors import EdgeNNError
from edgenn.graph.tflite import parse_tflite
from edgenn.optimize.quantize import (
    ONNX_VARIANTS,
    TFLITE_VARIANTS,
    evaluate_variant,
    onnx_variant,
    runner_support,
    runners_for,
    tflite_variant,
)

ALL = [*TFLITE_VARIANTS, *ONNX_VARIANTS]
# float16, dynamic-range, int8 and int16x8 lose little on a small CNN; the float model scores ~0.98.
MIN_ACCURACY = 0.9


@pytest.fixture(scope="module")
def variants(digits_build):
    from edgenn.tfimport import tensorflow

    tensorflow()
    import keras

    model = keras.models.load_model(digits_build / "model.keras", compile=False)
    data = load_build_data(digits_build)
    float_onnx = (digits_build / "model_float.onnx").read_bytes()
    out = {}
    for name in TFLITE_VARIANTS:
        out[name] = tflite_variant(model, name, data.x_calib)
    for name in ONNX_VARIANTS:
        out[name] = onnx_variant(float_onnx, name, data.x_calib)
    return out


@pytest.fixture(scope="module")
def results(variants, digits_build):
    data = load_build_data(digits_build)
    return {name: evaluate_variant(name, blob, data.x_test, data.y_test) for name, blob in variants.items()}


@pytest.mark.parametrize("name", ALL)
def test_variant_converts_and_stays_accurate(name, variants, results):
    assert len(variants[name]) > 0
    result = results[name]
    assert result.runners, f"{name}: no runner executes it: {result.support.reasons}"
    assert result.accuracy, f"{name}: runners {result.runners} but none evaluated"
    for runner, acc in result.accuracy.items():
        assert acc >= MIN_ACCURACY, f"{name} on {runner}: accuracy {acc:.4f}"


def test_runner_lists(variants, results):
    for name in ALL:
        assert runners_for(name, variants[name]) == results[name].runners
    for name in ("int8_per_channel", "int8_per_tensor"):
        assert {"litert", "tflm", "c"} <= set(results[name].runners), results[name].support.reasons
    for name in ONNX_VARIANTS:
        assert results[name].runners == ["onnxruntime"]
    # Hybrid kernels and float16 weights are LiteRT-only; TFLM reports it cannot allocate them.
    assert "litert" in results["float16"].runners and "litert" in results["dynamic_int8"].runners


def test_int16x8_is_scored_by_the_generated_c(variants, results, digits_build, tmp_path):
    """The int16x8 variant (int16 I/O) goes the int8 variants' way: the generated C runs it, byte for
    byte as TFLM does on the whole test split, and the sweep sizes it from the compiled C."""
    from edgenn import toolchain
    from edgenn.evaluate.metrics import accuracy
    from edgenn.evaluate.runners import CRunner, runner_for
    from edgenn.export.codegen import codegen
    from edgenn.graph.quant import dequantize
    from edgenn.optimize.sweep import evaluate_point
    from tests.conftest import require_tool

    require_tool("gcc")
    blob = variants["int16x8"]
    graph = parse_tflite(blob)
    assert graph.input_tensor().dtype == "int16" and graph.output_tensor().dtype == "int16"
    assert "c" in results["int16x8"].runners, results["int16x8"].support.reasons

    data = load_build_data(digits_build)
    (tmp_path / "model.tflite").write_bytes(blob)
    folder = codegen(tmp_path / "model.tflite", tmp_path / "c", name="model")
    toolchain.build(folder, "host")
    c = CRunner(folder)
    got = c.predict(data.x_test)
    tflm = runner_for("tflm", tmp_path / "model.tflite")
    want = tflm.predict(data.x_test)
    np.testing.assert_array_equal(got.reshape(want.shape), want)
    c_accuracy = accuracy(dequantize(got, c.output_quant), data.y_test)
    assert c_accuracy == results["int16x8"].accuracy["tflm"] >= MIN_ACCURACY

    from edgenn.tfimport import tensorflow

    tensorflow()
    import keras

    model = keras.models.load_model(digits_build / "model.keras", compile=False)
    point = evaluate_point(model, "int16x8", data, tmp_path / "point")
    assert "c" in point["runners"] and point["flash_source"].startswith("c:"), point
    assert point["runner"] == "c" and point["accuracy"] == c_accuracy == point["accuracy_by_runner"]["tflm"]


def _tflite_weight_scales(blob: bytes) -> list[int]:
    graph = parse_tflite(blob)
    return [len(graph.tensors[op.inputs[1]].scale) for op in graph.ops if op.name in ("CONV_2D", "FULLY_CONNECTED")]


def _onnx_weight_scales(blob: bytes) -> list[int]:
    model = onnx.load_from_string(blob)
    inits = {i.name: i for i in model.graph.initializer}
    return [
        numpy_helper.to_array(inits[node.input[1]]).size
        for node in model.graph.node
        if node.op_type == "DequantizeLinear" and node.input[0] in inits and len(inits[node.input[0]].dims) > 1
    ]


def test_per_channel_vs_per_tensor_scales(variants):
    per_channel = _tflite_weight_scales(variants["int8_per_channel"])
    per_tensor = _tflite_weight_scales(variants["int8_per_tensor"])
    assert per_tensor == [1] * len(per_channel)
    assert per_channel[:2] == [16, 32]  # one scale per output channel of each convolution
    for method in ("minmax", "entropy", "percentile"):
        pc = _onnx_weight_scales(variants[f"qdq_{method}_per_channel"])
        pt = _onnx_weight_scales(variants[f"qdq_{method}_per_tensor"])
        assert pt == [1] * len(pc) and max(pc) > 1


def test_unrunnable_model_reports_reasons(variants):
    support = runner_support("qdq_minmax_per_channel", variants["qdq_minmax_per_channel"][:64])
    assert support.runners == []
    assert set(support.reasons) == {"litert", "tflm", "onnxruntime", "c"}
    assert "ONNX" in support.reasons["onnxruntime"]


def test_unknown_variant_is_an_error(variants):
    with pytest.raises(EdgeNNError, match="unknown quantization variant"):
        runners_for("int4", variants["float32"])
    with pytest.raises(EdgeNNError, match="needs calibration"):
        tflite_variant(None, "int8_per_channel", np.zeros((0, 8, 8, 1), np.float32))
