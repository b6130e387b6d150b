import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import Graph, Op, Tensor
from edgenn.reference import logistic
from edgenn.reference.base import OpContext
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite

keras = pytest.importorskip("keras")

# Every int8 code once per invocation, ascending then descending, so no code goes unchecked.
ALL_CODES = np.stack([np.arange(-128, 128), np.arange(127, -129, -1)]).astype(np.int8)


def activation_model(name, shape=(256,)):
    x = keras.Input(batch_shape=(1, *shape))
    return keras.Model(x, keras.layers.Activation(name)(x))


# Calibration ranges: small and large input scales, a scale so large that the saturation radius
# is a few codes (or zero), and skewed ranges that put the input zero point at either int8 extreme.
RANGES = [
    (-0.5, 0.5),
    (-1.0, 1.0),
    (-6.0, 6.0),
    (-20.0, 20.0),
    (-300.0, 300.0),
    (-5000.0, 5000.0),
    (-0.01, 0.01),
    (0.0, 3.0),
    (-8.0, 0.1),
    (-3.0, 0.0),
]


@pytest.mark.parametrize("low, high", RANGES)
def test_sigmoid_on_every_input_code(low, high):
    data = int8_tflite(activation_model("sigmoid"), low=low, high=high)
    check_bit_exact(data, inputs=ALL_CODES.reshape(-1, 1, 256))


def test_sigmoid_on_a_rank4_tensor():
    data = int8_tflite(activation_model("sigmoid", (4, 8, 8)), low=-5.0, high=5.0)
    check_bit_exact(data, inputs=ALL_CODES.reshape(-1, 1, 4, 8, 8))


def test_dense_then_sigmoid():
    keras.utils.set_random_seed(3)
    x = keras.Input(batch_shape=(1, 24))
    m = keras.Model(x, keras.layers.Dense(12, activation="sigmoid")(x))
    check_bit_exact(int8_tflite(m, low=-2.0, high=2.0), count=300)


def single_op_graph(name, in_dtype, out_dtype, in_q, out_q, options=None, shape=(1, 8)) -> Graph:
    tensors = (
        Tensor(0, "x", shape, in_dtype, (in_q[0],), (in_q[1],), 0, None),
        Tensor(1, "y", shape, out_dtype, (out_q[0],), (out_q[1],), 0, None),
    )
    return Graph(None, "", 0, tensors, (Op(0, name, (0,), (1,), options),), (0,), (1,))


def prepare_single(module, graph):
    return module.prepare(OpContext(graph, graph.ops[0]))


def test_int16_activations_are_rejected_clearly():
    graph = single_op_graph("LOGISTIC", "int16", "int16", (1 / 4096, 0), (1 / 32768, 0))
    with pytest.raises(UnsupportedError, match="int16 activations"):
        prepare_single(logistic, graph)


def test_an_unexpected_output_quantization_is_rejected():
    graph = single_op_graph("LOGISTIC", "int8", "int8", (0.05, 0), (1 / 128, 0))
    with pytest.raises(UnsupportedError, match="scale 1/256 and zero point -128"):
        prepare_single(logistic, graph)


def test_prepare_matches_tflm_formulas():
    # scale 0.05: 0.05 * 2^27 = 6710886.4 = 0.8 * 2^23, so shift 23 and radius floor(15 * 2^27 / 2^23).
    scale = float(np.float32(0.05))
    p = prepare_single(logistic, single_op_graph("LOGISTIC", "int8", "int8", (scale, 3), (1 / 256, -128)))
    mantissa = scale * 2**27 / 2**23
    assert (p.input_zero_point, p.input_left_shift, p.input_range_radius) == (3, 23, 240)
    assert p.input_multiplier == round(mantissa * 2**31)


# The C kernel is a table filled by the reference: every code at scales that exercise saturation
# (large scales, radius down to zero), fine steps and a zero point at either extreme.
C_RANGES = [(-6.0, 6.0), (-5000.0, 5000.0), (-0.01, 0.01), (0.0, 3.0), (-8.0, 0.1)]


@pytest.mark.parametrize("low, high", C_RANGES)
def test_sigmoid_in_c_on_every_input_code(tmp_path, low, high):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = int8_tflite(activation_model("sigmoid"), low=low, high=high)
    check_c_bit_exact(data, tmp_path, inputs=ALL_CODES.reshape(-1, 1, 256))


def test_dense_then_sigmoid_on_a_rank4_tensor_in_c(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    keras.utils.set_random_seed(6)
    x = keras.Input(batch_shape=(1, 2, 4, 6))
    m = keras.Model(x, keras.layers.Dense(5, activation="sigmoid")(x))
    check_c_bit_exact(int8_tflite(m, low=-2.0, high=2.0), tmp_path, count=64)
