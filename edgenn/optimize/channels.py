"""Structured pruning: remove whole filters of Conv2D layers and whole units of Dense layers.

Unlike the zeros of unstructured pruning (`edgenn.optimize.prune`), a removed channel makes the
model itself smaller: the layer computes fewer outputs, and every layer that reads them up to the
next Conv2D or Dense (BatchNormalization, DepthwiseConv2D, Flatten) shrinks with it, as does that
next layer's kernel. The pruned model computes exactly what the original would compute were the
next layer's weights for the removed channels zeroed; it usually needs fine-tuning to win back the
accuracy those channels carried.

A channel's importance is the L1 norm of its filter, times the effective scale |gamma| /
sqrt(moving_variance + epsilon) of any BatchNormalization that follows it: a filter with large
weights whose output BatchNormalization scales down to almost nothing contributes little.

Only models whose layers form a single chain are supported: keras.Sequential, or functional models
in which every layer reads one tensor and feeds at most one layer. Anything the rules cannot follow
exactly is refused with an UnsupportedError naming the layer; nothing is pruned approximately.

Importing this module does not import TensorFlow; each function does so when called.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgenn.errors import UnsupportedError
from edgenn.tfimport import tensorflow

# Layers that leave every channel where it is and compute each channel from that channel alone.
PASS_THROUGH = (
    "ReLU",
    "Activation",
    "Softmax",
    "LeakyReLU",
    "ELU",
    "Dropout",
    "SpatialDropout2D",
    "GaussianNoise",
    "GaussianDropout",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling2D",
    "ZeroPadding2D",
    "Cropping2D",
    "UpSampling2D",
    "Identity",
)
# Activations that mix channels (they normalise over the last axis), so are not pass-through.
_MIXING_ACTIVATIONS = ("softmax", "log_softmax")


def _keras():
    tensorflow()
    import keras

    return keras


@dataclass
class _Path:
    """What removing channels of `source` touches: the layers in between, and the layer that reads them."""

    source: Any
    between: list = field(default_factory=list)  # BatchNormalization, DepthwiseConv2D, Flatten, pass-through
    consumer: Any = None
    batchnorms: list = field(default_factory=list)  # those that scale the source's channels one to one


def _kind(layer) -> str:
    return type(layer).__name__


def _describe(layer) -> str:
    return f"layer '{layer.name}' ({_kind(layer)})"


def _chain(model, keras) -> list:
    """The model's layers in order, input layer excluded; refused unless they form a single chain."""
    if not isinstance(model, keras.Model):
        raise UnsupportedError(None, f"'{getattr(model, 'name', model)}' is not a Keras model")
    if not model.built:
        raise UnsupportedError(None, f"model '{model.name}' is not built: give it a keras.Input first")
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            raise UnsupportedError(
                None, f"{_describe(layer)} is a nested model: channel pruning needs a flat chain of layers"
            )
    if isinstance(model, keras.Sequential):
        return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedError(
            None,
            f"model '{model.name}' has {len(model.inputs)} inputs and {len(model.outputs)} outputs: "
            "channel pruning needs one of each",
        )
    try:
        config = model.get_config()
        entries = config["layers"]
    except (NotImplementedError, KeyError, TypeError):
        raise UnsupportedError(
            None, f"model '{model.name}' is neither Sequential nor functional: channel pruning needs its config"
        ) from None

    reads: dict[str, list[str]] = {}
    consumers: dict[str, list[str]] = {entry["name"]: [] for entry in entries}
    for entry in entries:
        nodes = entry.get("inbound_nodes") or []
        sources = [name for node in nodes for name in _history_names(node)]
        if entry["class_name"] != "InputLayer" and (len(nodes) != 1 or len(sources) != 1):
            what = f"is called {len(nodes)} times" if len(nodes) != 1 else f"reads {len(sources)} tensors"
            raise UnsupportedError(
                None,
                f"layer '{entry['name']}' ({entry['class_name']}) {what}: "
                "channel pruning needs a single chain of layers",
            )
        reads[entry["name"]] = sources
        for name in sources:
            consumers.setdefault(name, []).append(entry["name"])
    for name, readers in consumers.items():
        if len(readers) > 1:
            raise UnsupportedError(
                None,
                f"layer '{name}' feeds {len(readers)} layers ({', '.join(readers)}): "
                "channel pruning needs a single chain of layers",
            )

    by_name = {layer.name: layer for layer in model.layers}
    start = [e["name"] for e in entries if e["class_name"] == "InputLayer"]
    order: list = []
    current = start[0] if len(start) == 1 else None
    while current is not None:
        layer = by_name[current]
        if not isinstance(layer, keras.layers.InputLayer):
            order.append(layer)
        readers = consumers.get(current, [])
        current = readers[0] if readers else None
    if len(order) != len([layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]):
        raise UnsupportedError(None, f"model '{model.name}' is not a single chain of layers")
    if order and order[-1].output is not model.outputs[0]:
        raise UnsupportedError(None, f"model '{model.name}': its output is not the last layer's output")
    return order


def _history_names(node: Any) -> list[str]:
    """Names of the layers whose tensors a serialized call reads, in order."""
    found: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                found.append(value["config"]["keras_history"][0])
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(node)
    return found


def _check_channels_last(layer) -> None:
    if getattr(layer, "data_format", "channels_last") not in (None, "channels_last"):
        raise UnsupportedError(
            None, f"{_describe(layer)} uses data_format '{layer.data_format}': channel pruning needs channels_last"
        )


def _check_float_kernel(layer) -> None:
    if getattr(layer, "quantization_mode", None) or getattr(layer, "lora_enabled", False):
        raise UnsupportedError(None, f"{_describe(layer)} is quantized or uses LoRA: only float layers can be pruned")


def _check_grouped(layer, keras) -> None:
    if isinstance(layer, keras.layers.Conv2D) and getattr(layer, "groups", 1) != 1:
        raise UnsupportedError(
            None, f"{_describe(layer)} has groups={layer.groups}: grouped convolutions cannot be channel-pruned"
        )


def _is_source(layer, keras) -> bool:
    # Conv2D and Dense only: DepthwiseConv2D, Conv2DTranspose and the like are other classes.
    return type(layer) in (keras.layers.Conv2D, keras.layers.Dense)


def _mixes_channels(layer) -> bool:
    """Whether a pass-through kind computes one channel from others (softmax over the channel axis)."""
    kind = _kind(layer)
    if kind == "Activation":
        activation = getattr(layer.activation, "__name__", str(layer.activation))
        return activation in _MIXING_ACTIVATIONS
    if kind == "Softmax":
        rank = len(layer.input.shape)
        axes = layer.axis if isinstance(layer.axis, list | tuple) else [layer.axis]
        return any(axis % rank == rank - 1 for axis in axes)
    return False


def _paths(model) -> list[_Path]:
    """For each prunable layer, in order, the layers its channels reach up to the next Conv2D or Dense."""
    keras = _keras()
    chain = _chain(model, keras)
    found: list[_Path] = []
    for i, layer in enumerate(chain):
        if not _is_source(layer, keras):
            continue
        path = _Path(layer)
        scaling = True  # until a layer maps channels other than one to one
        for j in range(i + 1, len(chain)):
            nxt = chain[j]
            if _is_source(nxt, keras):
                path.consumer = nxt
                break
            kind = _kind(nxt)
            if isinstance(nxt, keras.layers.BatchNormalization):
                path.between.append(nxt)
                if scaling:
                    path.batchnorms.append(nxt)
            elif isinstance(nxt, keras.layers.DepthwiseConv2D):
                path.between.append(nxt)
                scaling = False
            elif kind == "Flatten" or (kind in PASS_THROUGH and not _mixes_channels(nxt)):
                path.between.append(nxt)
                scaling = scaling and kind != "Flatten"
            else:
                if any(_is_source(later, keras) for later in chain[j + 1 :]):
                    reason = (
                        "normalises across channels"
                        if kind in PASS_THROUGH
                        else "is not a layer whose channels edgenn can follow"
                    )
                    raise UnsupportedError(
                        None,
                        f"{_describe(nxt)} lies between '{layer.name}' and the next Conv2D or Dense "
                        f"and {reason}: channels of '{layer.name}' cannot be removed through it",
                    )
                break
        if path.consumer is None:
            continue  # what it computes reaches the model's output: its channels are the output's
        for item in [layer, *path.between, path.consumer]:
            _check_channels_last(item)
            _check_grouped(item, keras)
            if _is_source(item, keras) or isinstance(item, keras.layers.DepthwiseConv2D):
                _check_float_kernel(item)
        for bn in path.between:
            if isinstance(bn, keras.layers.BatchNormalization):
                axis = bn.axis if isinstance(bn.axis, int) else (bn.axis[0] if len(bn.axis) == 1 else None)
                rank = len(bn.input.shape)
                if axis is None or axis % rank != rank - 1:
                    raise UnsupportedError(
                        None, f"{_describe(bn)} normalises axis {bn.axis}: channel pruning needs the last axis"
                    )
        found.append(path)
    return found


def prunable_channel_layers(model) -> list[str]:
    """Names of the Conv2D and Dense layers whose output channels may be removed, in model order.

    A layer qualifies when its output reaches another Conv2D or Dense through layers that keep each
    channel separate. The layer that computes the model's output never does: its units are the classes.
    """
    return [path.source.name for path in _paths(model)]


def _numpy(variable) -> np.ndarray:
    return np.asarray(variable.numpy(), dtype=np.float64)


def _scores(keras, path: _Path) -> np.ndarray:
    kernel = _numpy(path.source.kernel)
    score = np.abs(kernel).sum(axis=tuple(range(kernel.ndim - 1)))
    for bn in path.batchnorms:
        variance = _numpy(bn.moving_variance)
        gamma = _numpy(bn.gamma) if bn.scale else np.ones_like(variance)
        score = score * np.abs(gamma) / np.sqrt(variance + bn.epsilon)
    return score


def channel_scores(model) -> dict[str, np.ndarray]:
    """Importance of each output channel of every prunable layer (layer name → 1-D array).

    The L1 norm of each output channel's weights, times the effective scale |gamma| /
    sqrt(moving_variance + epsilon) of each BatchNormalization that follows the layer before any
    layer that maps channels other than one to one (DepthwiseConv2D, Flatten).
    """
    keras = _keras()
    return {path.source.name: _scores(keras, path) for path in _paths(model)}


def kept_count(n: int, keep: float, min_channels: int = 1) -> int:
    """How many of n channels a fraction `keep` keeps: round(keep * n), halves up, at least min_channels, at most n."""
    return min(n, max(min_channels, int(math.floor(keep * n + 0.5))))


def top_channels(scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` highest scores (ties to the lower index), in ascending order."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    return np.sort(order[:count])


def _check_fraction(name: str, keep) -> float:
    if isinstance(keep, bool) or not isinstance(keep, int | float | np.floating | np.integer):
        raise ValueError(f"keep for {name} must be a number in (0, 1], got {keep!r}")
    if not 0.0 < float(keep) <= 1.0:
        raise ValueError(f"keep for {name} must be in (0, 1], got {keep}")
    return float(keep)


def _fractions(keep, names: list[str]) -> dict[str, float]:
    if isinstance(keep, Mapping):
        unknown = [name for name in keep if name not in names]
        if unknown:
            listed = ", ".join(repr(str(name)) for name in unknown)
            raise ValueError(f"no prunable layer named {listed} (prunable: {', '.join(names) or 'none'})")
        return {name: _check_fraction(f"'{name}'", keep.get(name, 1.0)) for name in names}
    fraction = _check_fraction("every layer", keep)
    return dict.fromkeys(names, fraction)


def _spread(layer, keras, kept: np.ndarray, width: int) -> tuple[np.ndarray, int]:
    """Where channels `kept` of a `width`-channel input are found in `layer`'s output, and its width."""
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        m = int(layer.depth_multiplier)
        return (kept[:, None] * m + np.arange(m)[None, :]).ravel(), width * m
    if _kind(layer) == "Flatten":
        shape = tuple(layer.input.shape)[1:]
        if any(d is None for d in shape):
            raise UnsupportedError(
                None,
                f"{_describe(layer)} flattens a tensor of unknown shape {shape}: give the model a fixed input shape",
            )
        positions = int(np.prod(shape[:-1], dtype=np.int64))
        return (np.arange(positions)[:, None] * width + kept[None, :]).ravel(), positions * width
    return kept, width


def _sliced_weights(keras, model, paths: list[_Path], kept: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Each affected layer's weights with the removed channels taken out."""
    outputs: dict[str, np.ndarray] = {}  # source name → kept output channels
    inputs: dict[str, np.ndarray] = {}  # layer name → kept input channels
    for path in paths:
        indices = kept[path.source.name]
        width = int(path.source.kernel.shape[-1])
        if len(indices) == width:
            continue
        outputs[path.source.name] = indices
        for layer in path.between:
            if isinstance(layer, keras.layers.BatchNormalization | keras.layers.DepthwiseConv2D):
                inputs[layer.name] = indices
            indices, width = _spread(layer, keras, indices, width)
        inputs[path.consumer.name] = indices

    sliced: dict[str, list[np.ndarray]] = {}
    for name in dict.fromkeys([*outputs, *inputs]):
        layer = model.get_layer(name)
        weights = [np.array(w) for w in layer.get_weights()]
        kept_in, kept_out = inputs.get(name), outputs.get(name)
        if isinstance(layer, keras.layers.BatchNormalization):
            weights = [w[kept_in] for w in weights]
        elif isinstance(layer, keras.layers.DepthwiseConv2D):
            kernel = weights[0][:, :, kept_in, :]
            spread, _ = _spread(layer, keras, kept_in, weights[0].shape[2])
            weights = [kernel, *(w[spread] for w in weights[1:])]
        else:  # Conv2D or Dense: kernel (..., in, out), bias (out,)
            kernel = weights[0]
            if kept_in is not None:
                kernel = np.take(kernel, kept_in, axis=kernel.ndim - 2)
            if kept_out is not None:
                kernel = np.take(kernel, kept_out, axis=kernel.ndim - 1)
                weights = [kernel, *(w[kept_out] for w in weights[1:])]
            else:
                weights = [kernel, *weights[1:]]
        sliced[name] = weights
    return sliced


def _rebuilt(keras, model, sizes: dict[str, int]):
    """A fresh model of the same class from the model's config, with the given filters or units."""
    config = model.get_config()
    for entry in config["layers"]:
        # A stored build shape would build a layer for its old input width before it is called.
        entry.pop("build_config", None)
        name = entry.get("config", {}).get("name", entry.get("name"))
        if name in sizes:
            key = "filters" if entry["class_name"] == "Conv2D" else "units"
            entry["config"][key] = sizes[name]
    return type(model).from_config(config)


def prune_channels(model, keep: float | Mapping[str, float], min_channels: int = 1):
    """Remove the least important output channels of the prunable Conv2D and Dense layers.

    Args:
        model: a built keras.Sequential or functional model whose layers form a single chain.
        keep: the fraction of output channels each prunable layer keeps, in (0, 1]: one number for
            every layer, or layer name → fraction (layers not named keep every channel).
        min_channels: no layer keeps fewer channels than this (nor more than it has).

    Returns:
        (new_model, report). new_model is a new, smaller model of the same class, with the same
        layer names and configs except fewer filters or units, and the original's weights for the
        kept channels; it is neither compiled nor fine-tuned, and `model` is left as it was.
        report is {"layers": [{"name", "channels", "kept", "indices"}, ...], "params": {"before", "after"}}:
        for each prunable layer its channel count, how many it kept and which (in their original order).

    Raises:
        ValueError: a fraction outside (0, 1], min_channels below 1, or a name that is not a prunable layer.
        UnsupportedError: the model, or a layer on the way from a pruned layer to the next, is not supported.
    """
    keras = _keras()
    if isinstance(min_channels, bool) or not isinstance(min_channels, int | np.integer) or min_channels < 1:
        raise ValueError(f"min_channels must be an integer of at least 1, got {min_channels!r}")
    if not isinstance(keep, Mapping):
        _check_fraction("every layer", keep)
    paths = _paths(model)
    names = [path.source.name for path in paths]
    fractions = _fractions(keep, names)

    kept: dict[str, np.ndarray] = {}
    rows = []
    for path in paths:
        name = path.source.name
        scores = _scores(keras, path)
        indices = top_channels(scores, kept_count(len(scores), fractions[name], int(min_channels)))
        kept[name] = indices
        rows.append({"name": name, "channels": len(scores), "kept": len(indices), "indices": indices.tolist()})

    sliced = _sliced_weights(keras, model, paths, kept)
    clone = _rebuilt(keras, model, {name: len(kept[name]) for name in names})
    for layer in model.layers:
        weights = sliced.get(layer.name)
        if weights is None:
            weights = layer.get_weights()
        if weights:
            clone.get_layer(layer.name).set_weights(weights)
    report = {"layers": rows, "params": {"before": int(model.count_params()), "after": int(clone.count_params())}}
    return clone, report
