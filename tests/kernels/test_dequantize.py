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


# --- int16 input --------------------------------------------------------------------------------

INT16_CODES = np.arange(-32768, 32768, dtype=np.int16).reshape(16, 1, 4096)  # every int16 code once
INT16_SCALES = [(1 / 32768, 0), (0.000625, 0), (3.1e-7, -32768), (17.25, 32767), (0.0123, 12345)]


def int16_model(scale: float, zero_point: int) -> bytes:
    return single_op_model(
        "DEQUANTIZE", [T((1, 4096), "int16", scale=scale, zero_point=zero_point)], T((1, 4096), "float32")
    )


@pytest.mark.parametrize("scale, zero_point", INT16_SCALES)
def test_int16_every_code(scale, zero_point):
    data = int16_model(scale, zero_point)
    dequantize_op(data)
    check_bytes_exact(data, INT16_CODES)


@pytest.mark.parametrize("scale, zero_point", INT16_SCALES[2:4])
def test_in_c_int16_every_code(tmp_path, scale, zero_point):
    from tests.conftest import require_tool

    require_tool("gcc")
    check_c_bytes_exact(int16_model(scale, zero_point), tmp_path, INT16_CODES)


def test_unsupported_input_is_refused():
    from edgenn.errors import UnsupportedError
    from edgenn.reference import interpreter

    data = single_op_model("DEQUANTIZE", [T((1, 8), "float32")], T((1, 8), "float32"))
    with pytest.raises(UnsupportedError, match="is float32; supported: int8, int16"):
        interpreter.prepare(parse_tflite(data))


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
def test_int16_on_target(tmp_path, target):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    check_c_bytes_exact(int16_model(0.0123, 12345), tmp_path / "int16", INT16_CODES[::4], target=target)
    check_c_bytes_exact(
        single_op_model("DEQUANTIZE", [T((1, 128), scale=0.1, zero_point=127)], T((1, 128), "float32")),
        tmp_path / "int8",
        ALL_CODES,
        target=target,
    )
