"""The reference TinyML architectures (MLPerf Tiny's), as builders any recipe can name.

- resnet8: image classification (MLPerf Tiny IC, CIFAR-10 at 32×32×3): a 3×3 stem, three residual
  stacks of `filters`, 2×`filters` and 4×`filters` channels (the last two downsample by 2, their
  shortcut is a 1×1 convolution), global average pooling, dense, softmax.
- mobilenet_v1: visual wake words (MLPerf Tiny VWW at 96×96×3, α = 0.25): MobileNetV1's stem and
  13 depthwise-separable blocks at width multiplier `alpha`, ReLU6, global average pooling, dense,
  softmax.
- fc_autoencoder: anomaly detection (MLPerf Tiny AD, 640 log-mel features): `depth` dense layers of
  `hidden` units with BatchNorm and ReLU, a `bottleneck`, the mirror image, and a linear
  reconstruction of the input.

The options and their defaults are in edgenn.recipe.ARCHITECTURE_OPTIONS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# MobileNetV1's blocks: (pointwise filters at alpha = 1, stride of the depthwise convolution).
MOBILENET_BLOCKS = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)


def _resnet8(keras, input_shape, outputs: int, o: dict[str, Any]):
    L = keras.layers

    def conv_bn(x, filters, stride=1, kernel=3, relu=True):
        x = L.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        return L.ReLU()(x) if relu else x

    inp = keras.Input(shape=input_shape, name="input")
    x = conv_bn(inp, o["filters"])
    for i, filters in enumerate((o["filters"], 2 * o["filters"], 4 * o["filters"])):
        stride = 1 if i == 0 else 2
        y = conv_bn(x, filters, stride)
        y = conv_bn(y, filters, relu=False)
        shortcut = x if stride == 1 and x.shape[-1] == filters else L.Conv2D(filters, 1, strides=stride)(x)
        x = L.ReLU()(L.Add()([shortcut, y]))
    x = L.GlobalAveragePooling2D()(x)
    out = L.Softmax()(L.Dense(outputs)(x))
    return keras.Model(inp, out, name="resnet8")


def _mobilenet_v1(keras, input_shape, outputs: int, o: dict[str, Any]):
    L = keras.layers

    def width(filters: int) -> int:
        return max(8, int(filters * o["alpha"]))

    def bn_relu6(x):
        return L.ReLU(max_value=6.0)(L.BatchNormalization()(x))

    inp = keras.Input(shape=input_shape, name="input")
    x = bn_relu6(L.Conv2D(width(32), 3, strides=2, padding="same", use_bias=False)(inp))
    for filters, stride in MOBILENET_BLOCKS:
        x = bn_relu6(L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x))
        x = bn_relu6(L.Conv2D(width(filters), 1, use_bias=False)(x))
    x = L.GlobalAveragePooling2D()(x)
    out = L.Softmax()(L.Dense(outputs)(x))
    return keras.Model(inp, out, name="mobilenet_v1")


def _fc_autoencoder(keras, input_shape, outputs: int, o: dict[str, Any]):
    L = keras.layers

    def dense_bn_relu(x, units):
        return L.ReLU()(L.BatchNormalization()(L.Dense(units)(x)))

    inp = keras.Input(shape=input_shape, name="input")
    x = L.Flatten()(inp) if len(input_shape) > 1 else inp
    for _ in range(o["depth"]):
        x = dense_bn_relu(x, o["hidden"])
    x = dense_bn_relu(x, o["bottleneck"])
    for _ in range(o["depth"]):
        x = dense_bn_relu(x, o["hidden"])
    out = L.Dense(outputs)(x)
    if len(input_shape) > 1:
        out = L.Reshape(input_shape)(out)
    return keras.Model(inp, out, name="fc_autoencoder")


ARCHITECTURES: dict[str, Callable] = {
    "resnet8": _resnet8,
    "mobilenet_v1": _mobilenet_v1,
    "fc_autoencoder": _fc_autoencoder,
}


def build_architecture(keras, name: str, input_shape: tuple[int, ...], outputs: int, options: dict[str, Any]):
    """The named architecture for `input_shape`, with `outputs` classes (or reconstructed features)."""
    return ARCHITECTURES[name](keras, tuple(input_shape), outputs, options)
