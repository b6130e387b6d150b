"""The Helium (MVE) paths of the int8 convolution and pooling kernels, on the Cortex-M55 in QEMU.

Each model chains layers whose shapes reach the paths of edgenn/firmware/include/edgenn/*_mve.h
(channel counts off the vector width, padded and unpadded windows, windows read in place or
copied, the cases handed back to the other paths); the C must match TFLM byte for byte.
"""

from pathlib import Path

import numpy as np
import pytest

from tests.kernels.harness import check_c_bit_exact, int8_tflite

keras = pytest.importorskip("keras")

TARGET = "cortex-m55"


@pytest.fixture(autouse=True)
def _device_tools():
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")


def chain(shape, layers, seed=0):
    keras.utils.set_random_seed(seed)
    x = keras.Input(batch_shape=(1, *shape))
    y = x
    for layer in layers:
        y = layer(y)
    return keras.Model(x, y)


def conv(filters, kernel, **kw):
    return keras.layers.Conv2D(filters, kernel, **kw)


def dw(kernel, **kw):
    return keras.layers.DepthwiseConv2D(kernel, **kw)


@pytest.mark.parametrize("per_channel", [True, False])
def test_conv_paths(tmp_path, per_channel):
    # The dot products take up to 64 values per pass (K = 1 to 4 vectors), the last vector partial.
    layers = [
        conv(17, 3, padding="same", activation="relu"),  # padded windows copied with the zero point; depth 45
        conv(6, 3, padding="same"),  # depth 153 > 128: four channels at a time, then two single ones
        conv(64, 1),  # one run read in place, depth 6: one vector; 64 channels
        conv(72, 1, activation="relu6"),  # depth 64, 72 channels: two chunks, the second of 8
        conv(56, 1),  # depth 72: two passes, 64 then 8
        conv(16, 1),  # depth 56: four vectors, the last of 8 values
        conv(3, (2, 3), strides=2, padding="valid"),  # several runs copied, depth 96; 3 channels
        conv(8, (3, 2), strides=(1, 2), padding="same"),  # even kernel, padding after more than before
        conv(4, 1),  # depth 8: one vector
        conv(5, 3, dilation_rate=2, padding="same"),  # dilation: the other paths
    ]
    data = int8_tflite(chain((11, 13, 5), layers), per_channel=per_channel)
    check_c_bit_exact(data, tmp_path, count=6, target=TARGET)


def test_conv_window_over_the_stack_copy(tmp_path):
    # 3x3x128 = 1152 values per window: padded windows exceed the copy, the layer goes to the other paths.
    # Then a depth of 144, a multiple of 16, four channels at a time.
    layers = [conv(128, 1), conv(16, 3, padding="same"), conv(8, 3, padding="same")]
    check_c_bit_exact(int8_tflite(chain((4, 5, 8), layers)), tmp_path, count=4, target=TARGET)


@pytest.mark.parametrize("low, high", [(0.0, 3.0), (-3.0, 0.0)])
def test_extreme_zero_points(tmp_path, low, high):
    # Input zero points -128 and 127: padded taps hold the zero point, and |input + offset| reaches 255.
    layers = [
        conv(16, 3, padding="same", activation="relu6"),
        dw(3, padding="same"),
        keras.layers.MaxPooling2D(2, padding="same"),
        keras.layers.AveragePooling2D(2, padding="same"),
    ]
    data = int8_tflite(chain((7, 9, 3), layers, seed=2), low=low, high=high)
    check_c_bit_exact(data, tmp_path, count=6, target=TARGET)


@pytest.mark.parametrize("per_channel", [True, False])
def test_depthwise_paths(tmp_path, per_channel):
    layers = [
        dw(3, padding="same", activation="relu"),  # 1 channel: the predicated tail alone
        conv(17, 1),
        dw(3, strides=2, padding="same"),  # 17 channels: one block of 16 and a tail of 1
        conv(64, 1),
        dw(3, padding="valid", activation="relu6"),  # 64 channels, unpadded windows only
        conv(8, 1),
        dw(3, dilation_rate=2, padding="same"),  # 8 channels, dilation
        conv(3, 1),
        dw((2, 3), strides=(2, 1), padding="same"),  # 3 channels, an even kernel
        dw(3, depth_multiplier=2, padding="same"),  # depth multiplier 2: the other paths
    ]
    data = int8_tflite(chain((9, 7, 1), layers, seed=1), per_channel=per_channel)
    check_c_bit_exact(data, tmp_path, count=6, target=TARGET)


@pytest.mark.parametrize("one_multiply", [True, False])
def test_requantization_paths(tmp_path, monkeypatch, one_multiply):
    # Both requantizations: the one-multiply form, and TFLM's two steps, which layers get when export
    # cannot bound their accumulators (forced here).
    import edgenn.reference.fully_connected as conv_module  # where requant_fields finds requant_constants

    if not one_multiply:
        monkeypatch.setattr(conv_module, "requant_constants", lambda *args: None)
    layers = [conv(20, 3, padding="same", activation="relu6"), dw(3, padding="same"), conv(16, 1)]
    data = int8_tflite(chain((6, 7, 12), layers, seed=6))
    check_c_bit_exact(data, tmp_path, count=6, target=TARGET)
    source = (tmp_path / "c" / "net.c").read_text()
    assert ("op0_requant_shift" in source) == one_multiply


def test_pools(tmp_path):
    layers = [
        keras.layers.MaxPooling2D(3, strides=2, padding="same"),  # 17 channels: a block and a tail of 1
        keras.layers.ReLU(6.0),  # fused into the pool: its clamp
        conv(16, 1),
        keras.layers.AveragePooling2D(2, padding="same"),  # 16 channels: two blocks of 8, padded windows
        keras.layers.ReLU(),
        conv(3, 1),
        keras.layers.AveragePooling2D((3, 2), strides=1, padding="valid"),  # 3 channels: the tail alone
        conv(64, 1, activation="relu"),
        keras.layers.MaxPooling2D(2, strides=1, padding="valid"),  # 64 channels
        keras.layers.GlobalAveragePooling2D(keepdims=True),
    ]
    data = int8_tflite(chain((13, 15, 17), layers, seed=3))
    check_c_bit_exact(data, tmp_path, count=6, target=TARGET)


def test_dscnn_model(tmp_path):
    # The zoo's DS-CNN whole, as benchmarked: benchmarks/zoo.py builds it into build/zoo/ where missing.
    import importlib.util

    spec = importlib.util.spec_from_file_location("zoo", Path(__file__).resolve().parents[2] / "benchmarks" / "zoo.py")
    zoo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(zoo)
    data = zoo.zoo(("dscnn_kws",))["dscnn_kws"].read_bytes()
    x = np.random.default_rng(0).integers(-128, 128, size=(3, 1, 49, 10, 1)).astype(np.int8)
    check_c_bit_exact(data, tmp_path, inputs=x, target=TARGET)
