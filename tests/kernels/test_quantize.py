"""QUANTIZE: float32 → int8 at a float model input, and int8 → int8 where scales must change."""

import numpy as np
import pytest

from edgenn.graph.tflite import parse_tflite
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite
from tests.kernels.op_models import T, check_bytes_exact, check_c_bytes_exact, float_io_tflite, single_op_model

keras = pytest.importorskip("keras")


def quantize_ops(data):
    graph = parse_tflite(data)
    assert "QUANTIZE" in graph.op_names, graph.op_names
    return graph, [op for op in graph.ops if op.name == "QUANTIZE"]


def float_probes(scale: float, zero_point: int, n: int, seed: int = 0) -> np.ndarray:
    """Values that land exactly on, just beside and far from rounding ties, plus the non-finite ones."""
    rng = np.random.default_rng(seed)
    s = np.float32(scale)
    k = rng.integers(-140 - zero_point, 140 - zero_point, size=n)
    ties = ((k + 0.5) * s).astype(np.float32)
    rows = [
        ties,
        np.nextafter(ties, np.float32(np.inf)),
        np.nextafter(ties, np.float32(-np.inf)),
        (k * s).astype(np.float32),
        rng.normal(0.0, 200.0 * scale, n).astype(np.float32),
        rng.uniform(-1e12, 1e12, n).astype(np.float32),  # beyond int32 once divided by the scale
        np.resize(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3e38, -3e38, 1e-45], np.float32), n),
    ]
    return np.stack(rows)


def test_float_input_model():
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 40))
    data = float_io_tflite(keras.Model(x, keras.layers.ReLU()(x)), float_output=False, low=-2.0, high=1.0)
    graph, (op,) = quantize_ops(data)
    assert graph.tensors[op.inputs[0]].dtype == "float32"
    out = graph.tensors[op.outputs[0]]
    check_bytes_exact(data, float_probes(out.scale[0], out.zero_point[0], 40)[:, None, :])


@pytest.mark.parametrize("scale, zero_point", [(0.0123, -3), (1.0, -128), (0.5, 127), (3e-5, 0), (7.0, 50)])
def test_float_to_int8_hand_built(scale, zero_point):
    data = single_op_model("QUANTIZE", [T((1, 64), "float32")], T((1, 64), scale=scale, zero_point=zero_point))
    quantize_ops(data)
    check_bytes_exact(data, float_probes(scale, zero_point, 64, seed=1)[:, None, :])


def test_requantize_inserted_by_the_converter():
    # One tensor feeding two concatenations of different ranges cannot share both their scales.
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(4)(x)
    c1 = keras.layers.Concatenate()([a, keras.layers.Dense(3)(x) * 10.0])
    c2 = keras.layers.Concatenate()([a, keras.layers.Dense(3)(x) * 0.1])
    data = int8_tflite(keras.Model(x, keras.layers.Add()([c1, c2])))
    graph, ops = quantize_ops(data)
    assert any(graph.tensors[op.inputs[0]].dtype == "int8" for op in ops)
    check_bit_exact(data, count=64)


# (input scale, zero point) -> (output scale, zero point)
REQUANTIZE = [
    ((0.05, 3), (0.2, -10)),  # real multiplier 1/4
    ((0.2, -10), (0.05, 3)),  # real multiplier 4: a positive shift, saturating
    ((0.03, 7), (0.03, -7)),  # same scale, new zero point
    ((0.0123, -128), (0.0457, 127)),
    ((1e-6, 0), (1.0, 0)),  # everything rounds to the zero point
]


@pytest.mark.parametrize("inq, outq", REQUANTIZE)
def test_int8_to_int8_hand_built(inq, outq):
    data = single_op_model(
        "QUANTIZE", [T((1, 128), scale=inq[0], zero_point=inq[1])], T((1, 128), scale=outq[0], zero_point=outq[1])
    )
    quantize_ops(data)
    check_bit_exact(data, inputs=np.arange(-128, 128, dtype=np.int8).reshape(2, 1, 128))


# --- the generated C ---------------------------------------------------------------------------
# Quotients beyond int32 and NaN convert as this host's TFLM does (see quantize.h); the probes
# include them, so on another host these compare that host's C with that host's TFLM.


def test_in_c_float_input_model(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 40))
    data = float_io_tflite(keras.Model(x, keras.layers.ReLU()(x)), float_output=False, low=-2.0, high=1.0)
    graph, (op,) = quantize_ops(data)
    out = graph.tensors[op.outputs[0]]
    check_c_bytes_exact(data, tmp_path, float_probes(out.scale[0], out.zero_point[0], 40)[:, None, :])


@pytest.mark.parametrize("scale, zero_point", [(0.0123, -3), (1.0, -128), (0.5, 127), (3e-5, 0), (7.0, 50)])
def test_in_c_float_to_int8_hand_built(tmp_path, scale, zero_point):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model("QUANTIZE", [T((1, 64), "float32")], T((1, 64), scale=scale, zero_point=zero_point))
    check_c_bytes_exact(data, tmp_path, float_probes(scale, zero_point, 64, seed=1)[:, None, :])


def test_in_c_requantize_inserted_by_the_converter(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, 8))
    a = keras.layers.Dense(4)(x)
    c1 = keras.layers.Concatenate()([a, keras.layers.Dense(3)(x) * 10.0])
    c2 = keras.layers.Concatenate()([a, keras.layers.Dense(3)(x) * 0.1])
    data = int8_tflite(keras.Model(x, keras.layers.Add()([c1, c2])))
    quantize_ops(data)
    check_c_bit_exact(data, tmp_path, count=64)


@pytest.mark.parametrize("inq, outq", REQUANTIZE)
def test_in_c_int8_to_int8_every_code(tmp_path, inq, outq):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model(
        "QUANTIZE", [T((1, 128), scale=inq[0], zero_point=inq[1])], T((1, 128), scale=outq[0], zero_point=outq[1])
    )
    check_c_bit_exact(data, tmp_path, inputs=np.arange(-128, 128, dtype=np.int8).reshape(2, 1, 128))
