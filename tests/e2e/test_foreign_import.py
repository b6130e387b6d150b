"""`edgenn convert MODEL`: models trained elsewhere (.h5, .keras, SavedModel, .tflite, .onnx) become
build directories; a Keras 2 .h5 CNN goes on through codegen to C that is bit-exact with TFLM."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from edgenn import layout, toolchain
from edgenn.convert.foreign import SOURCE_JSON, import_model
from edgenn.errors import EdgeNNError, UnsupportedError
from edgenn.evaluate.runners import LiteRTRunner, TFLMRunner
from edgenn.graph.quant import dequantize, io_quant, quantize
from edgenn.graph.tflite import read_tflite
from tests.conftest import require_tool, run_cli
from tests.kernels.harness import probe_inputs, tflm_outputs
from tests.unit.test_legacy_h5 import KERAS2_VERSION, save_keras2_h5, small_cnn

SHAPE = (16, 16, 1)


def assert_one_error_line(proc, *needles):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("edgenn: error: ") and "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def assert_nothing_written(out):
    assert not out.exists()
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")], "staging left behind"


def source_of(out) -> dict:
    return json.loads((out / SOURCE_JSON).read_text())


@pytest.fixture(scope="module")
def keras():
    from edgenn.tfimport import tensorflow

    tensorflow()
    import keras

    return keras


@pytest.fixture(scope="module")
def cnn(keras):
    return small_cnn(keras, SHAPE)


@pytest.fixture(scope="module")
def files(cnn, tmp_path_factory):
    """The CNN as a Keras 2 .h5, a .keras and a SavedModel, and calibration data for it."""
    d = tmp_path_factory.mktemp("models")
    save_keras2_h5(cnn, d / "legacy_cnn.h5")
    cnn.save(d / "cnn.keras")
    cnn.export(d / "cnn_saved", verbose=False)
    x = np.random.default_rng(7).uniform(0, 1, (64, *SHAPE)).astype(np.float32)
    np.savez(d / "calib.npz", x=x)
    return d


def test_keras2_h5_cnn_converts_and_its_c_is_bit_exact(keras, cnn, files, tmp_path):
    model, calib, out = files / "legacy_cnn.h5", files / "calib.npz", tmp_path / "imported"
    with pytest.raises(Exception, match="DepthwiseConv2D"):
        keras.models.load_model(model, compile=False, safe_mode=True)  # a legacy file, as Keras 3 sees it

    proc = run_cli("convert", str(model), "--calib", str(calib), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.strip()]
    assert warnings and all(line.startswith("edgenn: warning: ") for line in warnings), proc.stderr
    (rewrites,) = [line for line in warnings if "Keras 2 → 3 config rewrites" in line]  # one line for them all

    src = source_of(out)
    assert any("(DepthwiseConv2D): dropped Keras 2 argument 'groups': 1" in c for c in src["changes"])
    assert f"{len(src['changes'])} Keras 2 → 3 config rewrites" in rewrites
    assert src["model"]["format"] == "h5" and src["model"]["keras_version"] == KERAS2_VERSION
    assert src["model"]["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert src["calibration"] == {
        "source": "file",
        "path": str(calib),
        "sha256": hashlib.sha256(calib.read_bytes()).hexdigest(),
        "array": "x",
        "samples": 64,
        "of": 64,
    }
    assert any("'groups': 1" in c for c in src["changes"]) and any("batch_shape" in c for c in src["changes"])
    assert src["artifacts"] == [layout.TFLITE_FLOAT, layout.TFLITE_INT8]

    # The imported weights are the original ones: float TFLite matches Keras, int8 stays close.
    x = np.load(calib)["x"][:16]
    want = cnn(x).numpy()
    assert np.allclose(LiteRTRunner(out / layout.TFLITE_FLOAT).predict(x), want, atol=1e-5)
    tflm = TFLMRunner(out / layout.TFLITE_INT8)
    assert np.abs(dequantize(tflm.predict(x), tflm.output_quant) - want).max() < 0.03

    graph = read_tflite(out / layout.TFLITE_INT8)
    assert graph.input_tensor().dtype == "int8" and graph.output_tensor().dtype == "int8"
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"} <= set(graph.op_names)

    proc = run_cli("codegen", str(out))
    assert proc.returncode == 0, proc.stderr
    require_tool("gcc")
    require_tool("make")
    folder = out / layout.C_DIR
    toolchain.build(folder, "host")
    codes = quantize(np.load(calib)["x"], io_quant(graph)[0])[:, np.newaxis]
    inputs = np.concatenate([codes, probe_inputs(graph.input_tensor().shape, 40)])
    got, _ = toolchain.run(folder, inputs, "host")
    expected = tflm_outputs((out / layout.TFLITE_INT8).read_bytes(), inputs)
    assert got.dtype == expected.dtype
    assert np.count_nonzero(got.reshape(expected.shape) != expected) == 0


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_lambda_layer_is_refused_without_running_it(keras, tmp_path, suffix):
    marker = tmp_path / "lambda_ran"
    fn = eval(f"lambda t: (__import__('pathlib').Path({str(marker)!r}).touch(), t)[1]")
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(fn, name="sneaky"), keras.layers.Dense(2)])
    inp = keras.Input((4,))
    model_path = tmp_path / f"with_lambda{suffix}"
    keras.Model(inp, inner(inp)).save(model_path)
    marker.unlink()  # building the model in this process ran it once

    out = tmp_path / "out"
    proc = run_cli("convert", str(model_path), "-o", str(out))
    assert_one_error_line(proc, str(model_path), "layer 'sneaky' (Lambda) refused", "never executes code")
    assert not marker.exists()
    assert_nothing_written(out)


def test_without_calib_warns_loudly_and_calibrates_on_random_inputs(files, tmp_path):
    proc = run_cli("convert", str(files / "cnn.keras"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("edgenn: warning: no --calib data"), proc.stderr
    assert "uniform in [0, 1]" in lines[0]
    out = tmp_path / "build" / "cnn"
    src = source_of(out)
    assert src["calibration"] == {
        "source": "random",
        "distribution": "uniform",
        "range": [0.0, 1.0],
        "seed": 0,
        "samples": 100,
    }
    assert src["warnings"] == [lines[0].removeprefix("edgenn: warning: ")]
    graph = read_tflite(out / layout.TFLITE_INT8)
    x = graph.input_tensor()
    assert x.dtype == "int8" and graph.output_tensor().dtype == "int8"
    assert x.zero_point == (-128,) and abs(x.scale[0] - 1 / 255) < 2e-5, "input range is the random [0, 1]"


def test_wrong_calibration_shape(files, tmp_path):
    calib = tmp_path / "small.npz"
    np.savez(calib, x=np.zeros((10, 8, 8, 1), np.float32))
    out = tmp_path / "out"
    proc = run_cli("convert", str(files / "cnn.keras"), "--calib", str(calib), "-o", str(out))
    assert_one_error_line(proc, str(calib), "(8, 8, 1)", "(16, 16, 1)")
    assert_nothing_written(out)


def test_saved_model_directory(cnn, files, tmp_path):
    out = tmp_path / "sm"
    proc = run_cli("convert", str(files / "cnn_saved"), "--calib", str(files / "calib.npz"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert source_of(out)["model"]["format"] == "saved_model"
    x = np.load(files / "calib.npz")["x"][:8]
    assert np.allclose(LiteRTRunner(out / layout.TFLITE_FLOAT).predict(x), cnn(x).numpy(), atol=1e-5)
    graph = read_tflite(out / layout.TFLITE_INT8)
    assert graph.input_tensor().shape == (1, *SHAPE) and graph.input_tensor().dtype == "int8"
    assert "SHAPE" not in graph.op_names, "traced with batch 1: static shapes only"


def test_int8_tflite_passes_through_to_c(tflm_examples, tmp_path):
    model = tflm_examples / "hello_world_int8.tflite"
    out = tmp_path / "hello"
    proc = run_cli("convert", str(model), "--calib", str(tmp_path / "unused.npz"), "-o", str(out))
    assert_one_error_line(proc, "unused.npz", "calibration file not found")
    proc = run_cli("convert", str(model), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / layout.TFLITE_INT8).read_bytes() == model.read_bytes()
    assert source_of(out)["calibration"]["source"] == "none"
    proc = run_cli("codegen", str(out))
    assert proc.returncode == 0, proc.stderr
    require_tool("gcc")
    require_tool("make")
    folder = out / layout.C_DIR
    toolchain.build(folder, "host")
    x = np.arange(-128, 128, dtype=np.int8).reshape(256, 1, 1)
    got, _ = toolchain.run(folder, x, "host")
    want = tflm_outputs(model.read_bytes(), x)
    assert np.array_equal(got.reshape(want.shape), want)


def test_float_tflite_is_refused(tflm_examples, tmp_path):
    out = tmp_path / "out"
    proc = run_cli("convert", str(tflm_examples / "hello_world_float.tflite"), "-o", str(out))
    assert_one_error_line(proc, "hello_world_float.tflite", "a float model", "cannot be quantized")
    assert_nothing_written(out)


def onnx_cnn(path):
    """Conv → Relu → GlobalAveragePool → Flatten → Gemm, NCHW input with a symbolic batch."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    weights = {
        "w": rng.normal(0, 0.5, (4, 1, 3, 3)),
        "b": rng.normal(0, 0.1, 4),
        "fc_w": rng.normal(0, 0.5, (4, 3)),
        "fc_b": rng.normal(0, 0.1, 3),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "onnx_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
        [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def test_onnx_gives_float_and_qdq_int8_onnx(tmp_path):
    import onnx
    import onnxruntime as ort

    model = onnx_cnn(tmp_path / "net.onnx")
    x = np.random.default_rng(5).uniform(0, 1, (32, 1, 8, 8)).astype(np.float32)
    np.savez(tmp_path / "calib.npz", x_calib=x)
    out = tmp_path / "net_build"
    proc = run_cli("convert", str(model), "--calib", str(tmp_path / "calib.npz"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("edgenn: warning: ") and "no model_int8.tflite" in lines[0]
    assert sorted(p.name for p in out.iterdir()) == [layout.ONNX_FLOAT, layout.ONNX_INT8, SOURCE_JSON]
    assert (out / layout.ONNX_FLOAT).read_bytes() == model.read_bytes()
    int8 = onnx.load(out / layout.ONNX_INT8)
    assert {"QuantizeLinear", "DequantizeLinear"} <= {n.op_type for n in int8.graph.node}
    src = source_of(out)
    assert src["calibration"]["array"] == "x_calib" and src["calibration"]["samples"] == 32

    def run(path):
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return np.concatenate([sess.run(None, {"x": s[np.newaxis]})[0] for s in x[:8]])

    want = run(model)
    assert np.abs(run(out / layout.ONNX_INT8) - want).max() < 0.05 * np.abs(want).max()
    proc = run_cli("codegen", str(out))  # C needs a TFLite model, and says why there is none
    assert_one_error_line(proc, layout.TFLITE_INT8, "this build holds an imported ONNX model")


def test_unknown_missing_and_corrupt_models(tmp_path):
    (tmp_path / "model.pt").write_bytes(b"\x80\x02torch")
    assert_one_error_line(run_cli("convert", str(tmp_path / "model.pt")), "model.pt", "unknown model type '.pt'")
    assert_one_error_line(run_cli("convert", str(tmp_path / "gone.onnx")), "gone.onnx", "model file not found")
    (tmp_path / "junk.h5").write_bytes(b"junk" * 64)
    assert_one_error_line(run_cli("convert", str(tmp_path / "junk.h5")), "junk.h5", "not a readable HDF5 file")
    (tmp_path / "junk.onnx").write_bytes(b"junk" * 64)
    assert_one_error_line(run_cli("convert", str(tmp_path / "junk.onnx")), "junk.onnx", "not a valid ONNX model")
    assert not (tmp_path / "build").exists()


def test_build_directory_options_are_for_model_files(tmp_path):
    proc = run_cli("convert", str(tmp_path), "-o", str(tmp_path / "x"))
    assert_one_error_line(proc, "--calib, --task and -o apply to a model file")


def test_two_inputs_are_refused(keras, tmp_path):
    a, b = keras.Input((4,)), keras.Input((4,))
    path = tmp_path / "two.keras"
    keras.Model([a, b], keras.layers.Add()([a, b])).save(path)
    with pytest.raises(UnsupportedError, match="2 inputs and 1 outputs"):
        import_model(path, out_dir=tmp_path / "out", warn=lambda m: None)
    assert not (tmp_path / "out").exists()


def test_destination_is_replaced_only_if_it_is_an_import(tflm_examples, tmp_path):
    model = tflm_examples / "hello_world_int8.tflite"
    out = tmp_path / "dest"
    import_model(model, out_dir=out)
    import_model(model, out_dir=out)  # a previous import is replaced
    assert sorted(p.name for p in out.iterdir()) == [layout.TFLITE_INT8, SOURCE_JSON]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(EdgeNNError, match="not an imported model's build directory"):
        import_model(model, out_dir=mine)
    assert (mine / "notes.txt").read_text() == "keep me"
