"""RELU and RELU6 as standalone int8 ops (the converter fuses them into a preceding op when it can)."""

import numpy as np
import pytest

from edgenn.graph.tflite import parse_tflite
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite
from tests.kernels.op_models import T, single_op_model

keras = pytest.importorskip("keras")

ALL_CODES = np.arange(-128, 128, dtype=np.int8).reshape(2, 1, 128)  # every int8 code once


def only_op(data, name):
    graph = parse_tflite(data)
    assert name in graph.op_names, graph.op_names
    (op,) = [op for op in graph.ops if op.name == name]
    return graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]


@pytest.mark.parametrize("low, high", [(-1.0, 1.0), (-3.0, 0.5), (0.5, 3.0)])
def test_relu_on_the_model_input(low, high):
    x = keras.Input(batch_shape=(1, 4, 6))
    data = int8_tflite(keras.Model(x, keras.layers.ReLU()(x)), low=low, high=high)
    only_op(data, "RELU")
    check_bit_exact(data, count=48)


# (input scale, zero point) -> (output scale, zero point)
RELU_SCALES = [
    ((0.05, 3), (0.01, -128)),  # real multiplier 5: a positive shift
    ((0.01, -20), (0.05, -100)),  # real multiplier 1/5
    ((0.02, 0), (0.02, 0)),  # real multiplier 1
    ((0.001, 127), (0.5, -128)),  # nearly everything rounds to the output zero point
    ((0.04, -128), (0.03, 60)),  # output zero point inside the range: the clamp at zero matters
]


@pytest.mark.parametrize("inq, outq", RELU_SCALES)
def test_relu_hand_built_scales(inq, outq):
    data = single_op_model(
        "RELU", [T((1, 128), scale=inq[0], zero_point=inq[1])], T((1, 128), scale=outq[0], zero_point=outq[1])
    )
    only_op(data, "RELU")
    check_bit_exact(data, inputs=ALL_CODES)


@pytest.mark.parametrize("low, high", [(-1.0, 1.0), (-10.0, 10.0), (0.0, 8.0)])
def test_relu6_on_the_model_input(low, high):
    x = keras.Input(batch_shape=(1, 4, 6))
    data = int8_tflite(keras.Model(x, keras.layers.ReLU(6.0)(x)), low=low, high=high)
    inp, out = only_op(data, "RELU6")
    if (low, high) == (-1.0, 1.0):
        # The output scale differs from the input's, yet TFLM clamps the input codes unchanged.
        assert inp.scale != out.scale
    check_bit_exact(data, count=48)


def halfway_scale():
    """A float32 scale for which float32(6) / scale is exactly k + 0.5 (std::round goes away from zero)."""
    for k in range(1, 100):
        s = np.float32(6.0 / (k + 0.5))
        if float(np.float32(6.0) / s) == k + 0.5:
            return float(s)
    raise AssertionError("no exact halfway scale found")


@pytest.mark.parametrize(
    "scale, zero_point",
    [(12.0, -3), (halfway_scale(), 0), (0.02, -128), (0.0001, -100), (0.05, 127), (3.0, 10)],
)
def test_relu6_hand_built_bounds(scale, zero_point):
    data = single_op_model(
        "RELU6", [T((1, 128), scale=scale, zero_point=zero_point)], T((1, 128), scale=scale * 0.5, zero_point=-128)
    )
    only_op(data, "RELU6")
    check_bit_exact(data, inputs=ALL_CODES)


# --- the generated C ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["RELU", "RELU6"])
def test_in_c_on_the_model_input(tmp_path, name):
    from tests.conftest import require_tool

    require_tool("gcc")
    x = keras.Input(batch_shape=(1, 4, 6))
    layer = keras.layers.ReLU(6.0 if name == "RELU6" else None)
    data = int8_tflite(keras.Model(x, layer(x)), low=-2.0, high=8.0)
    only_op(data, name)
    check_c_bit_exact(data, tmp_path, count=48)


@pytest.mark.parametrize("inq, outq", RELU_SCALES)
def test_in_c_relu_every_code(tmp_path, inq, outq):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model(
        "RELU", [T((1, 128), scale=inq[0], zero_point=inq[1])], T((1, 128), scale=outq[0], zero_point=outq[1])
    )
    check_c_bit_exact(data, tmp_path, inputs=ALL_CODES)


@pytest.mark.parametrize(
    "scale, zero_point",
    [(12.0, -3), (halfway_scale(), 0), (0.0001, -100), (0.05, 127), (0.01, -128)],
)
def test_in_c_relu6_every_code(tmp_path, scale, zero_point):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = single_op_model(
        "RELU6", [T((1, 128), scale=scale, zero_point=zero_point)], T((1, 128), scale=scale * 0.5, zero_point=-128)
    )
    check_c_bit_exact(data, tmp_path, inputs=ALL_CODES)
