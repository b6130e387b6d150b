import pytest

from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite

keras = pytest.importorskip("keras")


def dense_model(units, inputs, activation=None, use_bias=True, seed=0):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, inputs))
    y = keras.layers.Dense(units, activation=activation, use_bias=use_bias)(x)
    return keras.Model(x, y)


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("activation", [None, "relu", "relu6"])
def test_dense(per_channel, activation):
    check_bit_exact(int8_tflite(dense_model(7, 33, activation), per_channel=per_channel))


def test_dense_without_bias_and_skewed_inputs():
    # Inputs calibrated on [0, 3] give an input zero point at the int8 extreme (-128).
    check_bit_exact(int8_tflite(dense_model(5, 16, use_bias=False), low=0.0, high=3.0))


def test_dense_on_a_rank3_input():
    keras.utils.set_random_seed(1)
    x = keras.Input(batch_shape=(1, 4, 6))
    m = keras.Model(x, keras.layers.Dense(3)(x))
    check_bit_exact(int8_tflite(m))


@pytest.mark.parametrize("per_channel", [True, False])
def test_dense_in_c(tmp_path, per_channel):
    from tests.conftest import require_tool

    require_tool("gcc")
    model = dense_model(9, 40, "relu", seed=3)
    check_c_bit_exact(int8_tflite(model, per_channel=per_channel), tmp_path, count=64)
