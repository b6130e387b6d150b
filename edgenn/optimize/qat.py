"""Quantization-aware training (QAT) for Keras 3 models, without the TF Model Optimization Toolkit.

`qat_model(model, calib)` returns a copy of a trained model that computes what its int8 TFLite
model computes, and trains:

- BatchNormalization is folded into the Conv2D, DepthwiseConv2D or Dense layer before it (one
  factor and one bias per output channel), as the converter folds it; the copy trains the folded
  weights.
- Each of those kernels is fake-quantized per output channel, symmetric, on 255 levels
  (k * max|w| / 127, k in [-127, 127]: TFLite's int8 weights), or, for Conv2D and Dense with
  `weight_bits=4`, on the 15 levels of a 4-bit grid (k * max|w| / 7, k in [-7, 7], which
  `edgenn compress --to int4` and the C's int4 kernels take as they are).
- Each tensor that the int8 model stores with a scale of its own is fake-quantized per tensor on
  256 levels over a range [min, max] that holds 0, nudged so that 0 is a level (TFLite's
  asymmetric int8 activations): the input, the output of every weighted layer (after the ReLU or
  ReLU6 that the converter fuses into it), of a global average pooling and of an Add. The ranges
  start at what the calibration samples reach and then follow an exponential moving average of
  each training batch's minimum and maximum. Layers whose int8 output keeps its input's scale
  (max and average pooling, reshapes, dropout) or has a fixed one (softmax, logistic, tanh) get none.

The layers that do it are in edgenn.train.fake_quant. `to_int8` hands the model to the TFLite
converter, which takes every activation's scale and zero point from the fake-quantization ops (no
calibration). In inference the copy's weighted layers, pooling and Add replay the int8 model's
integer arithmetic (each linked to the FakeQuant layers of its inputs and output), so its outputs
are the int8 model's up to the softmax and other fixed-scale outputs, which stay float.

Layers this module does not model (recurrent, 1-D and transposed convolutions, Concatenate,
LeakyReLU, PReLU...) are refused with their name, rather than trained with a scheme that the
converter would not follow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgenn.errors import EdgeNNError
from edgenn.optimize.prune import _keras
from edgenn.train.fake_quant import float_path
from edgenn.train.fake_quant import layers as fake_quant_layers

_SAME_SCALE = ("MaxPooling2D", "AveragePooling2D", "Flatten", "Reshape", "Dropout", "ZeroPadding2D")
_RESCALE = ("GlobalAveragePooling2D", "Add")


def _is_relu(layer) -> bool:
    """A ReLU or ReLU6 that TFLite fuses into the op before it."""
    keras = _keras()
    if isinstance(layer, keras.layers.ReLU):
        c = layer.get_config()
        return not c.get("negative_slope") and not c.get("threshold") and c.get("max_value") in (None, 6.0)
    if isinstance(layer, keras.layers.Activation):
        return layer.get_config()["activation"] in ("relu", "relu6")
    return False


def _fixed_output(layer) -> bool:
    keras = _keras()
    if isinstance(layer, keras.layers.Softmax):
        return True
    return isinstance(layer, keras.layers.Activation) and layer.get_config()["activation"] in (
        "softmax",
        "sigmoid",
        "tanh",
    )


def _fused(layer) -> str:
    """The activation TFLite fuses into the op that `layer` is or follows: NONE, RELU or RELU6."""
    keras = _keras()
    if layer is None:
        return "NONE"
    if isinstance(layer, keras.layers.ReLU):
        return "RELU6" if layer.get_config().get("max_value") == 6.0 else "RELU"
    activation = layer.get_config().get("activation")
    return {"relu": "RELU", "relu6": "RELU6"}.get(activation if isinstance(activation, str) else "", "NONE")


def _weighted(layer) -> bool:
    keras = _keras()
    return type(layer) in (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)


def _graph(model) -> tuple[list[tuple[Any, list[str]]], str, str]:
    """[(layer, names of the layers it reads)] in order, and the names of the input and output layers.

    A Sequential is a chain; a functional model is read from its config (single input and output,
    each layer called once)."""
    keras = _keras()
    if isinstance(model, keras.Sequential):
        layers = list(model.layers)
        names = ["input", *(layer.name for layer in layers)]
        return [(layer, [names[i]]) for i, layer in enumerate(layers)], "input", layers[-1].name
    config = model.get_config()

    def one(refs):  # [name, node, tensor] for a single tensor, or a list of those
        if refs and isinstance(refs[0], str):
            return refs[0]
        if len(refs) != 1:
            raise EdgeNNError(None, f"model '{model.name}': QAT takes models with one input and one output")
        return refs[0][0]

    input_name, output_name = one(config["input_layers"]), one(config["output_layers"])
    by_name = {layer.name: layer for layer in model.layers}
    order = []
    for entry in config["layers"]:
        nodes = entry.get("inbound_nodes") or []
        if not nodes:
            continue  # the input layer
        if len(nodes) != 1:
            raise EdgeNNError(None, f"layer '{entry['name']}' is called more than once: QAT needs each layer once")
        sources = _history(nodes[0]["args"])
        order.append((by_name[entry["name"]], sources))
    return order, input_name, output_name


def _history(value) -> list[str]:
    """The names of the layers whose outputs a serialized call's arguments hold, in order."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return [value["config"]["keras_history"][0]]
    if isinstance(value, list | tuple):
        return [name for v in value for name in _history(v)]
    return []


def fold_factors(bn) -> tuple[np.ndarray, np.ndarray]:
    """(scale, shift) per channel of a BatchNormalization at inference: y = x * scale + shift."""
    gamma = bn.gamma.numpy() if bn.scale else np.ones(bn.moving_variance.shape, np.float32)
    beta = bn.beta.numpy() if bn.center else np.zeros(bn.moving_mean.shape, np.float32)
    scale = gamma.astype(np.float64) / np.sqrt(bn.moving_variance.numpy().astype(np.float64) + bn.epsilon)
    return scale, beta - bn.moving_mean.numpy() * scale


def _folded_weights(layer, bn) -> list[np.ndarray]:
    """The layer's kernel and bias with `bn` (or nothing) folded in."""
    kernel = layer.kernel.numpy().astype(np.float64)
    depthwise = type(layer).__name__ == "DepthwiseConv2D"  # [kh, kw, in, multiplier]: channel in * multiplier + m
    channels = kernel.shape[-2] * kernel.shape[-1] if depthwise else kernel.shape[-1]
    bias = layer.bias.numpy().astype(np.float64) if layer.use_bias else np.zeros(channels)
    if bn is not None:
        scale, shift = fold_factors(bn)
        kernel = kernel * (scale.reshape(kernel.shape[-2:]) if depthwise else scale)
        bias = bias * scale + shift
    return [kernel.astype(np.float32), bias.astype(np.float32)]


def qat_model(model, calib: np.ndarray, weight_bits: int = 8):
    """A fake-quantized copy of a trained float `model` (see the module's docstring), its ranges set on
    `calib` (samples shaped like the input, batch axis first)."""
    if weight_bits not in (4, 8):
        raise ValueError(f"weight_bits must be 4 or 8, got {weight_bits}")
    keras = _keras()
    fake_quant, quant = fake_quant_layers()
    order, input_name, output_name = _graph(model)
    readers: dict[str, list[Any]] = {}
    for layer, sources in order:
        for s in sources:
            readers.setdefault(s, []).append(layer)

    def only_reader(name):
        r = readers.get(name, [])
        return r[0] if len(r) == 1 and name != output_name else None

    # BatchNormalizations folded into the weighted layer they read, and who reads each after folding.
    folded: dict[str, Any] = {}  # weighted layer name -> its BN
    for layer, sources in order:
        if isinstance(layer, keras.layers.BatchNormalization):
            producer = next((p for p, _ in order if p.name == sources[0]), None)
            if producer is None or not _weighted(producer) or only_reader(producer.name) is not layer:
                raise EdgeNNError(None, f"BatchNormalization '{layer.name}' does not follow a layer it folds into")
            if producer.get_config().get("activation") not in (None, "linear"):
                raise EdgeNNError(None, f"BatchNormalization '{layer.name}' follows an activation: it cannot fold")
            folded[producer.name] = layer
    skip = {bn.name: p for p, bn in folded.items()}

    def after(name):  # the layer that reads `name`'s output once BatchNormalization is folded, if only one does
        reader = only_reader(name)
        if reader is not None and reader.name in skip:
            return only_reader(reader.name)
        return reader

    def needs_range(layer) -> bool:
        if _is_relu(layer):
            return True
        if _weighted(layer) or type(layer).__name__ in _RESCALE:
            if layer.get_config().get("activation") in ("relu", "relu6"):
                return True
            nxt = after(layer.name)
            return nxt is None or not _is_relu(nxt)
        return False

    inp = keras.Input(shape=model.input_shape[1:], name="input")
    input_quant = fake_quant(name="input_quant")
    tensors = {input_name: input_quant(inp)}
    grids = {input_name: input_quant}  # the FakeQuant whose grid a tensor lies on, where one does
    quantizers: dict[str, Any] = {}  # layer name -> the FakeQuant of its output
    made: list[tuple[Any, Any]] = []  # (new weighted layer, original)
    replaying: list[tuple[Any, Any, list[str]]] = []  # (new layer that replays TFLite, original, sources)
    for layer, sources in order:
        kind = type(layer).__name__
        if layer.name in skip:
            tensors[layer.name] = tensors[skip[layer.name]]
            grids[layer.name] = grids.get(skip[layer.name])
            continue
        supported = _weighted(layer) or _is_relu(layer) or _fixed_output(layer) or kind in _SAME_SCALE + _RESCALE
        if not supported:
            raise EdgeNNError(None, f"layer '{layer.name}' ({kind}): quantization-aware training does not model it")
        if _weighted(layer):
            config = layer.get_config()
            if config.get("activation") not in (None, "linear", "relu", "relu6"):
                what = f"activation {config['activation']}"
                raise EdgeNNError(None, f"layer '{layer.name}': {what} is not one TFLite fuses into it")
            config["use_bias"] = True
            # The 4-bit grid where int4 packs weights (Conv2D and Dense); depthwise kernels stay int8.
            bits = 8 if kind == "DepthwiseConv2D" else weight_bits
            new = quant[kind].from_config({**config, "weight_bits": bits})
            made.append((new, layer))
        else:
            new = quant.get(kind, type(layer)).from_config(layer.get_config())
        if kind in quant:
            replaying.append((new, layer, sources))
        args = [tensors[s] for s in sources]
        x = new(args if kind == "Add" else args[0])  # Add takes the list of its operands
        if needs_range(layer):
            quantizers[layer.name] = fake_quant(name=f"{layer.name}_quant")
            x = quantizers[layer.name](x)
            grids[layer.name] = quantizers[layer.name]
        elif kind in _SAME_SCALE:
            grids[layer.name] = grids.get(sources[0])
        tensors[layer.name] = x
    qat = keras.Model(inp, tensors[output_name], name=model.name)
    for new, layer in made:
        new.set_weights(_folded_weights(layer, folded.get(layer.name)))
    set_ranges(qat, calib)
    for new, layer, sources in replaying:  # each to the FakeQuants of its inputs and its output
        kind, follower = type(layer).__name__, after(layer.name)
        output, activation = quantizers.get(layer.name), _fused(layer)
        if kind == "AveragePooling2D":  # keeps its input's quantization
            output = grids.get(sources[0])
        elif output is None and kind != "GlobalAveragePooling2D" and _is_relu(follower):  # TFLite fuses it
            output, activation = quantizers.get(follower.name), _fused(follower)
        inputs = [grids.get(s) for s in sources]
        if output is not None and all(q is not None for q in inputs):
            new.link(inputs, output, activation)
    return qat


def set_ranges(model, calib: np.ndarray, batch: int = 256) -> None:
    """Set every FakeQuant's range to the minimum and maximum its input reaches on `calib` (0 included),
    each range measured with the ranges before it already set."""
    keras = _keras()
    fake_quant = fake_quant_layers()[0]
    for layer in model.layers:
        if not isinstance(layer, fake_quant):
            continue
        probe = keras.Model(model.input, layer.input)
        lo, hi = 0.0, 0.0
        with float_path():  # a replaying layer would clamp to the range being measured
            for start in range(0, len(calib), batch):
                v = np.asarray(probe(calib[start : start + batch], training=False))
                lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
        layer.set_weights([np.float32(lo), np.float32(hi if hi > lo else lo + 1e-6)])


def to_int8(model) -> bytes:
    """The int8 .tflite of a model made by qat_model: its activations' scales are the fake-quant ranges.

    The converter scales each channel's weights by max|w| / 127 whatever grid they were trained on: for
    4-bit weights (k * step, |k| <= 7, max|w| = 7 * step) that stores round(k * 127 / 7), and
    edgenn.optimize.compress's int4 rewrite then puts each back to k with the scale `step`, exactly the
    values the model trained with."""
    keras = _keras()
    from edgenn.convert.tflite import QAT_INT8, batch_one, keras_converter, to_tflite

    with float_path():  # the converter reads the fake-quant ops: it must not trace the integer replay
        blob = to_tflite(keras_converter(batch_one(keras, model)), QAT_INT8)
    if any(getattr(layer, "weight_bits", 8) == 4 for layer in model.layers):
        from edgenn.optimize.compress import compress_tflite

        blob, _ = compress_tflite(blob, "int4")
    return blob
