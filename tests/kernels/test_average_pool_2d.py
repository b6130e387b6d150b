import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, float_tflite, int8_tflite, prepare_int8

keras = pytest.importorskip("keras")


def pool_model(shape, pool=2, strides=None, padding="valid", activation=None):
    x = keras.Input(batch_shape=(1, *shape))
    y = keras.layers.AveragePooling2D(pool, strides=strides, padding=padding)(x)
    if activation is not None:
        y = keras.layers.Activation(activation)(y)  # the converter fuses it into the pool
    return keras.Model(x, y)


@pytest.mark.parametrize(
    "pool, strides, padding",
    [
        (2, 2, "valid"),
        (2, 1, "valid"),
        (3, 2, "valid"),
        (3, 1, "same"),  # edge windows average fewer elements: the padding is not counted
        (3, 2, "same"),
        (2, 2, "same"),  # odd sizes: the last row and column windows are cut short
        ((2, 3), (1, 2), "same"),
        ((7, 9), 1, "valid"),  # one window over the whole image: 63 elements
    ],
)
def test_geometry_on_odd_sizes(pool, strides, padding):
    check_bit_exact(int8_tflite(pool_model((7, 9, 3), pool, strides, padding)))


@pytest.mark.parametrize("activation", ["relu", "relu6"])
def test_fused_activation(activation):
    data = int8_tflite(pool_model((5, 5, 3), 3, 2, "same", activation), low=-8.0, high=8.0)
    g = parse_tflite(data)
    assert g.op_names == ("AVERAGE_POOL_2D",) and g.ops[0].options.fusedActivationFunction != 0
    check_bit_exact(data)


@pytest.mark.parametrize("low, high, zero_point", [(0.0, 3.0, -128), (-3.0, 0.0, 127)])
def test_input_zero_point_at_the_int8_extremes(low, high, zero_point):
    data = int8_tflite(pool_model((7, 9, 3), 3, 2, "same"), low=low, high=high)
    assert parse_tflite(data).input_tensor().zero_point == (zero_point,)
    check_bit_exact(data)


@pytest.mark.parametrize("shape", [(5, 5, 1), (9, 7, 16)])
def test_channel_counts(shape):
    check_bit_exact(int8_tflite(pool_model(shape, 3, 2, "same")))


def test_float_pool_goes_to_its_own_kernel():
    """The int8 kernel names the float32 it refuses; the model runs with the float32 sibling (test_float_ops)."""
    data = float_tflite(pool_model((5, 5, 2)))
    with pytest.raises(UnsupportedError, match=r"AVERAGE_POOL_2D.*float32; supported: int8"):
        prepare_int8(data)


def test_rounding_of_exact_halves():
    # 2x2 windows whose sums are +-2 and +-6 land exactly on .5: TFLM rounds them away from zero.
    rows = np.array([[1, 1, -1, -1, 3, 3, -3, -3], [0, 0, 0, 0, 0, 0, 0, 0]], np.int8)
    codes = np.stack([rows, -rows, rows * 20, rows - 1]).reshape(4, 1, 2, 8, 1)
    out = check_bit_exact(int8_tflite(pool_model((2, 8, 1), 2, 2)), inputs=codes)
    assert out[0].ravel().tolist() == [1, -1, 2, -2]


@pytest.mark.parametrize(
    "shape, pool, strides, padding, activation",
    [
        ((7, 9, 3), 3, 2, "same", None),
        ((7, 9, 3), (2, 3), (1, 2), "same", "relu"),
        ((8, 9, 29), 2, 2, "valid", None),  # 16- and 8-wide channel blocks, then a tail of 5
        ((9, 7, 16), 3, 1, "same", "relu6"),
        ((7, 9, 3), (7, 9), 1, "valid", None),
    ],
)
def test_geometry_in_c(tmp_path, shape, pool, strides, padding, activation):
    from tests.conftest import require_tool

    require_tool("gcc")
    check_c_bit_exact(int8_tflite(pool_model(shape, pool, strides, padding, activation), low=-4.0, high=4.0), tmp_path)


@pytest.mark.parametrize("low, high", [(0.0, 3.0), (-3.0, 0.0)])
def test_extreme_zero_points_in_c(tmp_path, low, high):
    from tests.conftest import require_tool

    require_tool("gcc")
    check_c_bit_exact(int8_tflite(pool_model((7, 9, 3), 3, 2, "same"), low=low, high=high), tmp_path)


def test_rounding_of_exact_halves_in_c(tmp_path):
    from tests.conftest import require_tool

    require_tool("gcc")
    rows = np.array([[1, 1, -1, -1, 3, 3, -3, -3], [0, 0, 0, 0, 0, 0, 0, 0]], np.int8)
    codes = np.stack([rows, -rows, rows * 20, rows - 1]).reshape(4, 1, 2, 8, 1)
    out = check_c_bit_exact(int8_tflite(pool_model((2, 8, 1), 2, 2)), tmp_path, inputs=codes)
    assert out[0].ravel().tolist() == [1, -1, 2, -2]


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0plus"])
@pytest.mark.parametrize("shape, pool, strides, padding", [((5, 6, 21), 3, 2, "same"), ((3, 3, 40), 3, 1, "valid")])
def test_channel_blocks_on_microcontrollers(tmp_path, target, shape, pool, strides, padding):
    # Microcontrollers run one block loop of up to 16 channels at a time: a 16-channel block and a
    # tail of 5, or two blocks and a tail of 8; padded windows average fewer taps.
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    data = int8_tflite(pool_model(shape, pool, strides, padding, "relu6"), low=-4.0, high=4.0)
    check_c_bit_exact(data, tmp_path, count=6, target=target)
