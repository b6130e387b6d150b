"""DEQUANTIZE: int8 → float32 at a float model output; outputs must match TFLM to the bit."""

import numpy as np
import pytest

from edgenn.graph.tflite import parse_tflite
from tests.kernels.harness import probe_inputs
from tests.kernels.op_models import T, check_bytes_exact, check_c_bytes_exact, float_io_tflite, single_op_model

keras = pytest.importorskip("keras")

ALL_CODES = np.arange(-128, 128, dtype=np.int8).reshape(2, 1, 128)  # every int8 code once


def dequantize_op(data):
    graph = parse_tflite(data)
    assert "DEQUANTIZE" in graph.op_names, graph.op_names
    (op,) = [op for op in graph.ops if op.name == "DEQUANTIZE"]
    assert graph.tensors[op.outputs[0]].dtype == "float32"
    return graph, op


def test_int8_input_float_output_model():
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    data = float_io_tflite(keras.Model(x, keras.layers.Dense(5)(x)), float_input=False)
    dequantize_op(data)
    check_bytes_exact(data, probe_inputs((1, 8), 32))


def test_float_model_quantizes_and_dequantizes():
    x = keras.Input(batch_shape=(1, 64))
    data = float_io_tflite(keras.Model(x, keras.layers.ReLU()(x)), low=-3.0, high=2.0)
    graph, _ = dequantize_op(data)
    assert graph.op_names == ("QUANTIZE", "RELU", "DEQUANTIZE")
    rng = np.random.default_rng(0)
    inputs = np.concatenate([rng.uniform(-4.0, 4.0, (16, 1, 64)), rng.normal(0.0, 100.0, (4, 1, 64))])
    check_bytes_exact(data, inputs.astype(np.float32))


@pytest.mark.parametrize(
    "scale, zero_point", [(0.0123, -3), (1.0, -128), (0.1, 127), (3.3e-5, 0), (1234.5, 50), (0.007812501, 1)]
)
def test_hand_built_scales(scale, zero_point):
    data = single_op_model("DEQUANTIZE", [T((1, 128), scale=scale, zero_point=zero_point)], T((1, 128), "float32"))
    dequantize_op(data)
    check_bytes_exact(data, ALL_CODES)


# --- the generated C ---------------------------------------------------------------------------


def test_in_c_int8_input_float_output_model(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    data = float_io_tflite(keras.Model(x, keras.layers.Dense(5)(x)), float_input=False)
    check_c_bytes_exact(data, tmp_path, probe_inputs((1, 8), 32))


def test_in_c_float_model_quantizes_and_dequantizes(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    x = keras.Input(batch_shape=(1, 64))
    data = float_io_tflite(keras.Model(x, keras.layers.ReLU()(x)), low=-3.0, high=2.0)
    rng = np.random.default_rng(0)
    inputs = np.concatenate([rng.uniform(-4.0, 4.0, (16, 1, 64)), rng.normal(0.0, 100.0, (4, 1, 64))])
    check_c_bytes_exact(data, tmp_path, inputs.astype(np.float32))


@pytest.mark.parametrize(
    "scale, zero_point", [(0.0123, -3), (1.0, -128), (0.1, 127), (3.3e-5, 0), (1234.5, 50), (1e-44, 7)]
)
def test_in_c_every_code(tmp_path, scale, zero_point):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model("DEQUANTIZE", [T((1, 128), scale=scale, zero_point=zero_point)], T((1, 128), "float32"))
    check_c_bytes_exact(data, tmp_path, ALL_CODES)
