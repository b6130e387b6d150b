"""Layer builders by recipe name. The recipe schema (edgenn.recipe.LAYER_OPTIONS) lists the same names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _pair(v):
    return tuple(v) if isinstance(v, list) else v


def builders(keras) -> dict[str, Callable[[dict[str, Any]], Any]]:
    L = keras.layers

    def conv2d(o):
        return L.Conv2D(
            o["filters"],
            _pair(o["kernel_size"]),
            strides=_pair(o.get("strides", 1)),
            padding=o.get("padding", "valid"),
            dilation_rate=_pair(o.get("dilation_rate", 1)),
            use_bias=o.get("use_bias", True),
        )

    def depthwise(o):
        return L.DepthwiseConv2D(
            _pair(o["kernel_size"]),
            strides=_pair(o.get("strides", 1)),
            padding=o.get("padding", "valid"),
            depth_multiplier=o.get("depth_multiplier", 1),
            dilation_rate=_pair(o.get("dilation_rate", 1)),
            use_bias=o.get("use_bias", True),
        )

    def pool(cls):
        return lambda o: cls(
            pool_size=_pair(o.get("pool_size", 2)),
            strides=_pair(o.get("strides")) if "strides" in o else None,
            padding=o.get("padding", "valid"),
        )

    def batchnorm(o):
        return L.BatchNormalization(momentum=o.get("momentum", 0.99), epsilon=o.get("epsilon", 1e-3))

    return {
        "conv2d": conv2d,
        "depthwise_conv2d": depthwise,
        "dense": lambda o: L.Dense(o["units"], use_bias=o.get("use_bias", True)),
        "batchnorm": batchnorm,
        "relu": lambda o: L.ReLU(),
        "relu6": lambda o: L.ReLU(max_value=6.0),
        "tanh": lambda o: L.Activation("tanh"),
        "sigmoid": lambda o: L.Activation("sigmoid"),
        "softmax": lambda o: L.Softmax(),
        "maxpool2d": pool(L.MaxPooling2D),
        "avgpool2d": pool(L.AveragePooling2D),
        "global_avgpool2d": lambda o: L.GlobalAveragePooling2D(),
        "flatten": lambda o: L.Flatten(),
        "dropout": lambda o: L.Dropout(o["rate"]),
    }


def build_model(keras, spec, name: str, outputs: int | None = None):
    """A recipe's model: a named architecture with `outputs` outputs, or a Sequential of its layers."""
    if spec.architecture:
        from edgenn.train.architectures import build_architecture

        return build_architecture(keras, spec.architecture, spec.input_shape, outputs, spec.options)
    table = builders(keras)
    layers = [keras.Input(shape=spec.input_shape, name="input")]
    layers += [table[layer.type](layer.options) for layer in spec.layers]
    return keras.Sequential(layers, name=name)


def outputs_probabilities(model) -> bool:
    """Whether the model ends in a softmax (probabilities), as recipes' classifiers may or may not."""
    import keras

    last = model.layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return True
    return isinstance(last, keras.layers.Activation) and last.get_config().get("activation") == "softmax"
