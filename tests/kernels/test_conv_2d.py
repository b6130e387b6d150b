import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import interpreter
from tests.kernels.harness import check_bit_exact, int8_tflite

keras = pytest.importorskip("keras")


def conv_model(
    shape, filters, kernel=3, strides=1, dilation=1, padding="same", activation=None, use_bias=True, groups=1, seed=0
):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, *shape))
    y = keras.layers.Conv2D(
        filters,
        kernel,
        strides=strides,
        dilation_rate=dilation,
        padding=padding,
        activation=activation,
        use_bias=use_bias,
        groups=groups,
    )(x)
    return keras.Model(x, y)


@pytest.mark.parametrize(
    "kernel, strides, dilation, padding",
    [
        (3, 1, 1, "same"),
        (3, 1, 1, "valid"),
        (3, 2, 1, "same"),
        (3, 2, 1, "valid"),
        (3, 1, 2, "same"),
        (3, 1, 2, "valid"),
        ((2, 3), (2, 1), 1, "same"),  # even kernel: SAME pads one more row after than before
        (1, 1, 1, "valid"),
    ],
)
def test_geometry_on_odd_sizes(kernel, strides, dilation, padding):
    check_bit_exact(int8_tflite(conv_model((7, 9, 3), 4, kernel, strides, dilation, padding)))


def test_kernel_as_large_as_the_input_with_stride_2():
    check_bit_exact(int8_tflite(conv_model((5, 5, 2), 3, kernel=5, strides=2)))


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("activation", [None, "relu", "relu6"])
def test_activation_and_quantization_granularity(per_channel, activation):
    data = int8_tflite(conv_model((5, 5, 1), 3, activation=activation), per_channel=per_channel)
    g = parse_tflite(data)
    assert len(g.tensors[g.ops[0].inputs[1]].scale) == (3 if per_channel else 1)
    check_bit_exact(data)


@pytest.mark.parametrize("low, high, zero_point", [(0.0, 3.0, -128), (-3.0, 0.0, 127)])
def test_input_zero_point_at_the_int8_extremes(low, high, zero_point):
    data = int8_tflite(conv_model((7, 9, 3), 5, activation="relu"), low=low, high=high)
    assert parse_tflite(data).input_tensor().zero_point == (zero_point,)
    check_bit_exact(data)


@pytest.mark.parametrize("shape, filters, strides", [((5, 5, 1), 1, 1), ((9, 7, 8), 16, 2), ((6, 6, 3), 2, (1, 2))])
def test_channel_counts(shape, filters, strides):
    check_bit_exact(int8_tflite(conv_model(shape, filters, strides=strides, padding="same")))


def test_grouped_convolution():
    data = int8_tflite(conv_model((7, 9, 4), 6, groups=2))
    g = parse_tflite(data)
    assert g.tensors[g.ops[0].inputs[1]].shape == (6, 3, 3, 2)
    check_bit_exact(data)


def test_without_bias():
    check_bit_exact(int8_tflite(conv_model((7, 9, 3), 4, use_bias=False, activation="relu6")))


def test_float_conv_is_refused_with_a_clear_message():
    from edgenn.console import native_quiet
    from edgenn.tfimport import tensorflow

    with native_quiet():
        data = tensorflow().lite.TFLiteConverter.from_keras_model(conv_model((5, 5, 2), 2)).convert()
    with pytest.raises(UnsupportedError, match=r"CONV_2D.*float32; supported: int8"):
        interpreter.prepare(parse_tflite(data))
