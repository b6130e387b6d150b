"""Layer builders by recipe name. The recipe schema (edgenn.recipe.LAYER_OPTIONS) lists the same names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edgenn.recipe import MERGE_LAYERS


def _pair(v):
    return tuple(v) if isinstance(v, list) else v


def builders(keras) -> dict[str, Callable[[dict[str, Any]], Any]]:
    L = keras.layers

    def conv(cls, o, **extra):
        """A convolution of `cls` from recipe options: filters (where the layer has them), kernel size,
        strides, padding, bias, and what only this layer type takes (`extra`)."""
        filters = (o["filters"],) if "filters" in o else ()
        return cls(
            *filters,
            _pair(o["kernel_size"]),
            strides=_pair(o.get("strides", 1)),
            padding=o.get("padding", "valid"),
            use_bias=o.get("use_bias", True),
            **extra,
        )

    def conv2d(o):
        return conv(L.Conv2D, o, dilation_rate=_pair(o.get("dilation_rate", 1)))

    def depthwise(o):
        return conv(
            L.DepthwiseConv2D,
            o,
            depth_multiplier=o.get("depth_multiplier", 1),
            dilation_rate=_pair(o.get("dilation_rate", 1)),
        )

    def pool(cls):
        return lambda o: cls(
            pool_size=_pair(o.get("pool_size", 2)),
            strides=_pair(o.get("strides")) if "strides" in o else None,
            padding=o.get("padding", "valid"),
        )

    # Recurrent layers unrolled: with the batch-1 input edgenn converts with, the converter emits
    # each step's ops (FULLY_CONNECTED, SPLIT, LOGISTIC, TANH, MUL, ADD...) instead of a WHILE loop
    # over tensor lists, which TFLM cannot run.
    def recurrent(cls):
        return lambda o: cls(o["units"], return_sequences=o.get("return_sequences", False), unroll=True)

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
        "conv1d": lambda o: conv(L.Conv1D, o, dilation_rate=o.get("dilation_rate", 1)),
        "maxpool1d": pool(L.MaxPooling1D),
        "avgpool1d": pool(L.AveragePooling1D),
        "global_avgpool1d": lambda o: L.GlobalAveragePooling1D(),
        "lstm": recurrent(L.LSTM),
        "gru": recurrent(L.GRU),
        "conv2d_transpose": lambda o: conv(L.Conv2DTranspose, o),
        "upsampling2d": lambda o: L.UpSampling2D(
            _pair(o.get("size", 2)), interpolation=o.get("interpolation", "bilinear")
        ),
        "leaky_relu": lambda o: L.LeakyReLU(negative_slope=o.get("negative_slope", 0.3)),
        "prelu": lambda o: L.PReLU(),
        "hard_swish": lambda o: L.Activation("hard_swish"),
        "reshape": lambda o: L.Reshape(tuple(o["target_shape"])),
        "add": lambda o: L.Add(),
        "concatenate": lambda o: L.Concatenate(axis=o.get("axis", -1)),
    }


def build_model(keras, spec, name: str, outputs: int | None = None):
    """A recipe's model: a named architecture with `outputs` outputs, or a Sequential of its layers."""
    if spec.architecture:
        from edgenn.train.architectures import build_architecture

        return build_architecture(keras, spec.architecture, spec.input_shape, outputs, spec.options)
    table = builders(keras)
    inp = keras.Input(shape=spec.input_shape, name="input")
    if not any(layer.inputs for layer in spec.layers):
        return keras.Sequential([inp, *(table[layer.type](layer.options) for layer in spec.layers)], name=name)
    # A graph: each layer takes the outputs named in its `inputs`, or the previous layer's.
    named = {"input": inp}
    x = inp
    for layer in spec.layers:
        sources = [named[n] for n in layer.inputs] or [x]
        x = table[layer.type](layer.options)(sources if layer.type in MERGE_LAYERS else sources[0])
        if layer.name:
            named[layer.name] = x
    return keras.Model(inp, x, name=name)


def outputs_probabilities(model) -> bool:
    """Whether the model ends in a softmax (probabilities), as recipes' classifiers may or may not."""
    import keras

    last = model.layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return True
    return isinstance(last, keras.layers.Activation) and last.get_config().get("activation") == "softmax"
