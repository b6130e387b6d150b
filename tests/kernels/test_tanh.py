import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.reference import tanh
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite
from tests.kernels.test_logistic import (
    ALL_CODES,
    C_RANGES,
    RANGES,
    activation_model,
    prepare_single,
    single_op_graph,
)

keras = pytest.importorskip("keras")


@pytest.mark.parametrize("low, high", RANGES)
def test_tanh_on_every_input_code(low, high):
    data = int8_tflite(activation_model("tanh"), low=low, high=high)
    check_bit_exact(data, inputs=ALL_CODES.reshape(-1, 1, 256))


def test_tanh_on_a_rank4_tensor():
    data = int8_tflite(activation_model("tanh", (4, 8, 8)), low=-3.0, high=3.0)
    check_bit_exact(data, inputs=ALL_CODES.reshape(-1, 1, 4, 8, 8))


def test_dense_then_tanh():
    keras.utils.set_random_seed(4)
    x = keras.Input(batch_shape=(1, 24))
    m = keras.Model(x, keras.layers.Dense(12, activation="tanh")(x))
    check_bit_exact(int8_tflite(m, low=-2.0, high=2.0), count=300)


def test_int16_activations_are_rejected_clearly():
    graph = single_op_graph("TANH", "int16", "int16", (1 / 4096, 0), (1 / 32768, 0))
    with pytest.raises(UnsupportedError, match="int16 activations"):
        prepare_single(tanh, graph)


def test_an_unexpected_output_quantization_is_rejected():
    graph = single_op_graph("TANH", "int8", "int8", (0.05, 0), (1 / 256, -128))
    with pytest.raises(UnsupportedError, match="scale 1/128 and zero point 0"):
        prepare_single(tanh, graph)


def test_a_huge_input_scale_saturates_everything_but_zero():
    # scale 40: 40 * 2^27 has exponent 33, so the radius is 0 and TFLM sends even 0 to -128.
    p = prepare_single(tanh, single_op_graph("TANH", "int8", "int8", (40.0, 0), (1 / 128, 0)))
    assert (p.input_left_shift, p.input_range_radius) == (33, 0)
    out = tanh.run(p, [np.array([[-128, -1, 0, 1, 127, 0, 0, 0]], np.int8)])
    assert out.tolist() == [[-128, -128, -128, 127, 127, -128, -128, -128]]


@pytest.mark.parametrize("low, high", C_RANGES)
def test_tanh_in_c_on_every_input_code(tmp_path, low, high):
    from tests.conftest import require_tool

    require_tool("gcc")
    data = int8_tflite(activation_model("tanh"), low=low, high=high)
    check_c_bit_exact(data, tmp_path, inputs=ALL_CODES.reshape(-1, 1, 256))


def test_dense_then_tanh_on_a_rank4_tensor_in_c(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    keras.utils.set_random_seed(7)
    x = keras.Input(batch_shape=(1, 2, 4, 6))
    m = keras.Model(x, keras.layers.Dense(5, activation="tanh")(x))
    check_c_bit_exact(int8_tflite(m, low=-2.0, high=2.0), tmp_path, count=64)
