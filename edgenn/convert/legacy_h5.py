"""Full-model .h5 files, Keras 2 (TensorFlow ≤ 2.15) ones included, loaded into Keras 3 safely.

Keras 3 rebuilds most Keras 2 configs, but refuses or misreads a few well-known differences.
`rewrite` fixes those on a copy of the config and lists every change it made:

- `groups` in DepthwiseConv*, SeparableConv* and Conv*Transpose: Keras 2 wrote the argument of
  its Conv base class; Keras 3's classes refuse it. Dropped when 1; any other value is refused.
- `kernel_initializer`/`_regularizer`/`_constraint` in DepthwiseConv*/SeparableConv*: the same
  inheritance; they only matter for training. Dropped.
- BatchNormalization `axis` as a one-element list ([3]): Keras 3 wants an integer.
- dtype policies serialized as {"class_name": "Policy", ...}: replaced by the policy's dtype name;
  mixed-precision policies ("mixed_float16") become "float32", the dtype the weights are stored in.
- `batch_input_shape`: InputLayer's becomes `batch_shape`. On the first layer of a Sequential
  model without an InputLayer, Keras 3 would take the batch axis for a data axis; an InputLayer
  with that shape is inserted instead. On any other layer it is redundant and dropped.

`load_h5` reads the file with h5py, refuses any layer that carries code (Lambda, and Keras 2's
TFOpLambda) before anything is built, rewrites the config, builds the model with Keras's safe
deserialization and sets each layer's weights from the file's group of the same name.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgenn.errors import ModelFileError, UnsupportedError

# Keras 3 classes that do not take the `groups` argument that Keras 2 wrote for every conv layer.
NO_GROUPS = frozenset(
    {
        "DepthwiseConv1D",
        "DepthwiseConv2D",
        "SeparableConv1D",
        "SeparableConv2D",
        "Conv1DTranspose",
        "Conv2DTranspose",
        "Conv3DTranspose",
    }
)
# Keras 3 classes that do not take Keras 2's inherited kernel_* arguments.
NO_KERNEL_ARGS = frozenset({"DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"})
KERNEL_ARGS = ("kernel_initializer", "kernel_regularizer", "kernel_constraint")
# Layers whose config holds code (Keras 3 Lambda, Keras 2 Lambda) or a raw TensorFlow op (Keras 2).
CODE_LAYERS = {
    "Lambda": "a Lambda layer holds Python code",
    "TFOpLambda": "a TensorFlow op recorded by Keras 2 (TFOpLambda), which Keras 3 cannot rebuild",
    "SlicingOpLambda": "a TensorFlow op recorded by Keras 2 (SlicingOpLambda), which Keras 3 cannot rebuild",
}
MODEL_CLASSES = ("Functional", "Model", "Sequential")


@dataclass(frozen=True)
class H5Model:
    config: dict
    keras_version: str | None


def _objects(node):
    """Every serialized object ({"class_name": ..., "config": {...}}) inside `node`, outermost first."""
    if isinstance(node, dict):
        if isinstance(node.get("class_name"), str) and isinstance(node.get("config"), dict):
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def _who(obj: dict) -> str:
    name = obj["config"].get("name") or obj.get("name")
    return f"layer '{name}' ({obj['class_name']})" if name else obj["class_name"]


def refuse_code(config: dict, where: str | Path | None) -> None:
    """Raise UnsupportedError if any layer, however deeply nested, carries code."""
    for obj in _objects(config):
        why = CODE_LAYERS.get(obj["class_name"])
        if obj["class_name"] == "__lambda__":
            why = "a serialized Python function"
        if why:
            raise UnsupportedError(
                where,
                f"{_who(obj)} refused: {why}; edgenn never executes code from a model file "
                "(rebuild that part with built-in layers)",
            )


def _policy_dtype(value) -> str | None:
    """The dtype name to use for a Keras 2 dtype policy dict, or None if `value` is not one."""
    if not (isinstance(value, dict) and value.get("class_name") == "Policy" and isinstance(value.get("config"), dict)):
        return None
    name = str(value["config"].get("name", "float32"))
    return "float32" if name.startswith("mixed_") else name


def rewrite(config: dict, where: str | Path | None = None) -> tuple[dict, list[str]]:
    """A Keras 3 loadable copy of a Keras 2 model config, and one line per change made."""
    config = copy.deepcopy(config)
    changes: list[str] = []
    for obj in list(_objects(config)):
        cls, cfg, who = obj["class_name"], obj["config"], _who(obj)
        if cls in NO_GROUPS and "groups" in cfg:
            groups = cfg.pop("groups")
            if groups not in (1, None):
                raise UnsupportedError(where, f"{who}: groups={groups} has no Keras 3 equivalent")
            changes.append(f"{who}: dropped Keras 2 argument 'groups': {json.dumps(groups)}")
        if cls in NO_KERNEL_ARGS:
            dropped = [k for k in KERNEL_ARGS if k in cfg]
            for key in dropped:
                cfg.pop(key)
            if dropped:
                changes.append(f"{who}: dropped Keras 2 arguments {', '.join(dropped)} (training only)")
        if cls == "BatchNormalization" and isinstance(cfg.get("axis"), list):
            axis = cfg["axis"]
            if len(axis) != 1:
                raise UnsupportedError(where, f"{who}: normalizes over several axes {axis}; Keras 3 takes one")
            cfg["axis"] = int(axis[0])
            changes.append(f"{who}: axis {axis} → {cfg['axis']}")
        dtype = _policy_dtype(cfg.get("dtype"))
        if dtype is not None:
            old = cfg["dtype"]["config"].get("name")
            cfg["dtype"] = dtype
            changes.append(f"{who}: Keras 2 dtype policy '{old}' → '{dtype}'")
        if cls == "InputLayer" and "batch_input_shape" in cfg:
            cfg["batch_shape"] = cfg.pop("batch_input_shape")
            changes.append(f"{who}: 'batch_input_shape' → 'batch_shape'")
        if cls == "Sequential" and isinstance(cfg.get("layers"), list):
            _sequential_input(cfg["layers"], changes)
    for obj in _objects(config):
        if obj["class_name"] != "InputLayer" and "batch_input_shape" in obj["config"]:
            obj["config"].pop("batch_input_shape")
            changes.append(f"{_who(obj)}: dropped redundant 'batch_input_shape'")
    return config, changes


def _sequential_input(layers: list, changes: list[str]) -> None:
    """Give a Keras 2 Sequential model whose first layer holds the input shape an InputLayer."""
    if not layers or not isinstance(layers[0], dict) or layers[0].get("class_name") == "InputLayer":
        return
    first = layers[0].get("config", {})
    shape = first.pop("batch_input_shape", None)
    if shape is None:
        return
    dtype = first.get("dtype") if isinstance(first.get("dtype"), str) else "float32"
    name = f"{first.get('name', 'layer')}_input"
    layers.insert(0, {"class_name": "InputLayer", "config": {"batch_shape": shape, "dtype": dtype, "name": name}})
    changes.append(f"layer '{first.get('name')}': its 'batch_input_shape' {shape} → InputLayer '{name}'")


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _attr_strings(group, name: str) -> list[str]:
    """A list-of-strings attribute, which h5 files split into name0, name1, ... when it is large."""
    if name in group.attrs:
        return [_text(v) for v in group.attrs[name]]
    out, chunk = [], 0
    while f"{name}{chunk}" in group.attrs:
        out.extend(_text(v) for v in group.attrs[f"{name}{chunk}"])
        chunk += 1
    return out


def _open(path: Path):
    import h5py

    if not path.is_file():
        raise ModelFileError(path, "model file not found")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise ModelFileError(path, f"not a readable HDF5 file ({str(exc).splitlines()[0]})") from None


def read_h5(path: str | Path) -> H5Model:
    """The model config and Keras version stored in a full-model .h5 file."""
    path = Path(path)
    with _open(path) as f:
        raw = f.attrs.get("model_config")
        if raw is None:
            raise ModelFileError(path, "no model config in this .h5 (weights only?): save the whole model")
        try:
            config = json.loads(_text(raw))
        except ValueError as exc:
            raise ModelFileError(path, f"model config is not JSON ({exc})") from None
        version = f.attrs.get("keras_version")
        if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
            raise ModelFileError(path, "model config is not a Keras model config")
        return H5Model(config, None if version is None else _text(version))


def build_model(config: dict, where: str | Path | None):
    """A Keras model from a Keras 3 loadable config, with safe deserialization (no code runs)."""
    import keras

    cls = config.get("class_name")
    if cls not in MODEL_CLASSES:
        raise UnsupportedError(where, f"the top-level object is a '{cls}', not a Functional or Sequential model")
    classes = {"Functional": keras.Model, "Model": keras.Model, "Sequential": keras.Sequential}
    try:
        return keras.saving.deserialize_keras_object(copy.deepcopy(config), custom_objects=classes, safe_mode=True)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelFileError(where, f"cannot rebuild the model from its config: {first[:300]}") from None


def load_weights(model, path: str | Path) -> None:
    """Set every layer's weights from the file's group named after the layer (shapes checked)."""
    path = Path(path)
    with _open(path) as f:
        group = f["model_weights"] if "model_weights" in f else f
        for layer in model.layers:
            weights = list(layer.trainable_weights) + list(layer.non_trainable_weights)
            if not weights:
                continue
            if layer.name not in group:
                raise ModelFileError(path, f"no weights for layer '{layer.name}' in the file")
            g = group[layer.name]
            names = _attr_strings(g, "weight_names")
            if len(names) != len(weights):
                raise ModelFileError(
                    path, f"layer '{layer.name}' has {len(names)} weights in the file, the model needs {len(weights)}"
                )
            values = [np.asarray(g[name]) for name in names]
            for var, value, name in zip(weights, values, names, strict=True):
                if tuple(var.shape) != value.shape:
                    raise ModelFileError(
                        path, f"weight '{name}' has shape {value.shape}, layer '{layer.name}' needs {tuple(var.shape)}"
                    )
            for var, value in zip(weights, values, strict=True):
                var.assign(value)


def load_h5(path: str | Path):
    """(Keras model, changes made to its config, Keras version that wrote it) for a full-model .h5."""
    path = Path(path)
    stored = read_h5(path)
    refuse_code(stored.config, path)
    config, changes = rewrite(stored.config, path)
    model = build_model(config, path)
    load_weights(model, path)
    return model, changes, stored.keras_version
