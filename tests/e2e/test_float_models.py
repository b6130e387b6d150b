"""Float32 models through codegen: TFLM's float hello_world and a small float CNN, on the host and
on the Cortex-M4 with its FPU.

Float paths are compared within RTOL 1e-5 and ATOL 1e-6 of TFLM (tests/kernels/test_float_ops.py
checks each kernel the same way). A float model builds with the target's FPU flags (its manifest
says float_code); an int8 model keeps the core's flags alone.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from edgenn import toolchain
from edgenn.export.codegen import codegen
from edgenn.graph.tflite import parse_tflite
from tests.conftest import require_target_tools
from tests.kernels.harness import float_tflite, reference_outputs, tflm_outputs

RTOL, ATOL = 1e-5, 1e-6  # float paths: within this of TFLM


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.dtype == want.dtype == np.float32, (got.dtype, want.dtype)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=RTOL, atol=ATOL, err_msg=what)


def build_and_run(folder, x: np.ndarray, target: str) -> np.ndarray:
    require_target_tools(target)
    toolchain.build(folder, target)
    got, _ = toolchain.run(folder, x, target)
    return got


def vfp_args(folder, target: str) -> bool:
    """Whether the model's objects pass floats in FPU registers (the hard-float ABI)."""
    objects = sorted((toolchain.build_dir(folder, target) / "obj").rglob("*.o"))
    attrs = subprocess.run(["arm-none-eabi-readelf", "-A", str(objects[0])], capture_output=True, text=True).stdout
    return "Tag_ABI_VFP_args: VFP registers" in attrs


@pytest.fixture(scope="module")
def hello_world(tflm_examples, tmp_path_factory):
    model = tflm_examples / "hello_world_float.tflite"
    data = model.read_bytes()
    assert set(parse_tflite(data).op_names) == {"FULLY_CONNECTED"}
    folder = codegen(model, tmp_path_factory.mktemp("hello_world_float") / "c", name="hello_world")
    x = np.linspace(-1.0, 7.5, 200, dtype=np.float32).reshape(-1, 1, 1)  # beyond one period of the sine, both ways
    return data, folder, x, tflm_outputs(data, x)


def test_int8_model_keeps_the_core_flags(tflm_examples, tmp_path):
    require_target_tools("cortex-m4")
    folder = codegen(tflm_examples / "hello_world_int8.tflite", tmp_path / "c", name="hello_world")
    assert json.loads((folder / "edgenn.json").read_text())["float_code"] is False
    toolchain.build(folder, "cortex-m4")
    assert not vfp_args(folder, "cortex-m4")


def cnn_tflite() -> bytes:
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 12, 12, 1))
    y = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    y = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(y)
    y = keras.layers.MaxPooling2D(2)(y)
    y = keras.layers.Conv2D(8, 3, activation="relu")(y)
    y = keras.layers.AveragePooling2D(2)(y)
    y = keras.layers.Flatten()(y)
    y = keras.layers.Dense(10, activation="softmax")(y)
    return float_tflite(keras.Model(x, y))


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    data = cnn_tflite()
    ops = set(parse_tflite(data).op_names)
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"} <= ops
    where = tmp_path_factory.mktemp("float_cnn")
    (where / "cnn.tflite").write_bytes(data)
    folder = codegen(where / "cnn.tflite", where / "c", name="cnn")
    x = np.random.default_rng(0).uniform(0.0, 1.0, (16, 1, 12, 12, 1)).astype(np.float32)
    return data, folder, x, tflm_outputs(data, x)


@pytest.fixture(params=["hello_world", "cnn"])
def float_model(request):
    """Each float model: (tflite bytes, generated C folder, inputs, TFLM's outputs)."""
    return request.getfixturevalue(request.param)


def test_float_model_reference(float_model):
    data, _, x, want = float_model
    assert_close(reference_outputs(data, x), want, "reference")


@pytest.mark.parametrize("target", ["host", "cortex-m4"])
def test_float_model_c(float_model, target):
    _, folder, x, want = float_model
    assert json.loads((folder / "edgenn.json").read_text())["float_code"] is True
    assert_close(build_and_run(folder, x, target), want, f"C on {target}")
    if target == "cortex-m4":
        assert vfp_args(folder, target)  # the FPU's flags reached the model's objects
