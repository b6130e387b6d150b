"""Keras 2 .h5 model configs: each known difference is rewritten, reported, and needed by Keras 3."""

from __future__ import annotations

import copy
import inspect
import json

import numpy as np
import pytest

from edgenn.convert import legacy_h5
from edgenn.errors import ModelFileError, UnsupportedError

KERAS2_VERSION = "2.15.0"


def _keras():
    from edgenn.tfimport import tensorflow

    tensorflow()
    import keras

    return keras


# --- writing .h5 files as Keras 2 did ------------------------------------------------------------


def keras2_config(node):
    """A Keras 3 .h5 model config in the layout Keras 2 (TensorFlow ≤ 2.15) wrote.

    No module/registered_name keys, dtypes as plain names, `batch_input_shape` on InputLayer,
    inbound nodes as [[name, node, tensor, {}]] lists, `groups: 1` on DepthwiseConv2D, and
    BatchNormalization's axis as the list [3] that Keras 2 kept after building on 4-D inputs.
    """
    if isinstance(node, list):
        return [keras2_config(v) for v in node]
    if not isinstance(node, dict):
        return node
    if node.get("class_name") == "DTypePolicy":
        return node["config"]["name"]
    out = {}
    for key, value in node.items():
        if key in ("module", "registered_name", "optional", "build_config"):
            continue
        if key == "inbound_nodes":
            out[key] = [[[*arg["config"]["keras_history"], {}] for arg in n["args"]] for n in value]
            continue
        if key in ("input_layers", "output_layers") and value and not isinstance(value[0], list):
            value = [value]
        out["batch_input_shape" if key == "batch_shape" else key] = keras2_config(value)
    if out.get("class_name") == "DepthwiseConv2D":
        out["config"]["groups"] = 1
    if out.get("class_name") == "BatchNormalization":
        out["config"]["axis"] = [3]
    return out


def keras2_weight_name(layer_class: str, name: str) -> str:
    base = name.split("/")[-1]
    if layer_class == "DepthwiseConv2D" and base == "kernel":
        base = "depthwise_kernel"
    return f"{name.rsplit('/', 1)[0]}/{base}:0"


def save_keras2_h5(model, path, edit=keras2_config) -> None:
    """Save `model` as .h5 with Keras 3, then make the file look like one written by Keras 2."""
    import h5py

    model.save(path)
    classes = {layer.name: type(layer).__name__ for layer in model.layers}
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        f.attrs["model_config"] = json.dumps(edit(config))
        f.attrs["keras_version"] = KERAS2_VERSION
        weights = f["model_weights"]
        weights.attrs["keras_version"] = KERAS2_VERSION
        if "top_level_model_weights" in weights:
            del weights["top_level_model_weights"]
        for layer, cls in classes.items():
            g = weights[layer]
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in g.attrs["weight_names"]]
            renamed = [keras2_weight_name(cls, n) for n in names]
            for old, new in zip(names, renamed, strict=True):
                g.move(old, new)
            if names:
                g.attrs["weight_names"] = [n.encode() for n in renamed]


def small_cnn(keras, shape=(16, 16, 1), classes=4, seed=0):
    """Conv2D, BatchNorm (non-trivial statistics), ReLU, DepthwiseConv2D, pooling, Dense."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape, name="image")
    x = keras.layers.Conv2D(6, 3, padding="same", name="conv")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu", name="dw")(x)
    x = keras.layers.MaxPooling2D(name="max_pool")(x)
    x = keras.layers.AveragePooling2D(2, name="avg_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    out = keras.layers.Dense(classes, activation="softmax", name="dense")(x)
    model = keras.Model(inp, out, name="small_cnn")
    bn = next(layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization))
    rng = np.random.default_rng(seed)
    bn.set_weights(
        [
            rng.uniform(0.5, 1.5, 6).astype(np.float32),
            rng.uniform(-0.2, 0.2, 6).astype(np.float32),
            rng.uniform(-0.1, 0.1, 6).astype(np.float32),
            rng.uniform(0.05, 0.2, 6).astype(np.float32),
        ]
    )
    return model


# --- config rewriting, no Keras needed -----------------------------------------------------------


def layer(cls, **config):
    return {"class_name": cls, "config": {"name": cls.lower(), "dtype": "float32", **config}}


def functional(*layers):
    return {"class_name": "Functional", "config": {"name": "m", "layers": list(layers)}}


@pytest.mark.parametrize("cls", sorted(legacy_h5.NO_GROUPS))
def test_groups_one_is_dropped(cls):
    config = functional(layer(cls, kernel_size=[3, 3], groups=1))
    fixed, changes = legacy_h5.rewrite(config)
    assert "groups" not in fixed["config"]["layers"][0]["config"]
    assert changes == [f"layer '{cls.lower()}' ({cls}): dropped Keras 2 argument 'groups': 1"]
    assert config["config"]["layers"][0]["config"]["groups"] == 1, "the input config is left as it was"


def test_conv2d_keeps_its_groups():
    config = functional(layer("Conv2D", filters=4, groups=2))
    fixed, changes = legacy_h5.rewrite(config)
    assert fixed == config and changes == []


def test_other_groups_are_refused():
    with pytest.raises(UnsupportedError, match="groups=2 has no Keras 3 equivalent"):
        legacy_h5.rewrite(functional(layer("DepthwiseConv2D", groups=2)), "m.h5")


def test_separable_kernel_arguments_are_dropped():
    init = {"class_name": "GlorotUniform", "config": {"seed": None}}
    config = functional(layer("SeparableConv2D", kernel_initializer=init, kernel_regularizer=None, groups=1))
    fixed, changes = legacy_h5.rewrite(config)
    cfg = fixed["config"]["layers"][0]["config"]
    assert not {"kernel_initializer", "kernel_regularizer", "groups"} & set(cfg)
    assert any("kernel_initializer, kernel_regularizer" in c for c in changes)


def test_batchnorm_axis_list_becomes_an_integer():
    fixed, changes = legacy_h5.rewrite(functional(layer("BatchNormalization", axis=[3])))
    assert fixed["config"]["layers"][0]["config"]["axis"] == 3
    assert changes == ["layer 'batchnormalization' (BatchNormalization): axis [3] → 3"]
    with pytest.raises(UnsupportedError, match="several axes"):
        legacy_h5.rewrite(functional(layer("BatchNormalization", axis=[1, 2])))


@pytest.mark.parametrize(
    "policy, dtype", [("float32", "float32"), ("mixed_float16", "float32"), ("float64", "float64")]
)
def test_dtype_policy_dicts_become_names(policy, dtype):
    config = functional(layer("Dense", units=2))
    config["config"]["layers"][0]["config"]["dtype"] = {"class_name": "Policy", "config": {"name": policy}}
    fixed, changes = legacy_h5.rewrite(config)
    assert fixed["config"]["layers"][0]["config"]["dtype"] == dtype
    assert changes == [f"layer 'dense' (Dense): Keras 2 dtype policy '{policy}' → '{dtype}'"]


def test_input_layer_batch_input_shape():
    config = functional({"class_name": "InputLayer", "config": {"name": "x", "batch_input_shape": [None, 8]}})
    fixed, changes = legacy_h5.rewrite(config)
    assert fixed["config"]["layers"][0]["config"] == {"name": "x", "batch_shape": [None, 8]}
    assert changes == ["layer 'x' (InputLayer): 'batch_input_shape' → 'batch_shape'"]


def test_sequential_without_input_layer_gets_one():
    first = layer("Dense", units=4, batch_input_shape=[None, 8])
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [first, layer("ReLU")]}}
    fixed, changes = legacy_h5.rewrite(config)
    layers = fixed["config"]["layers"]
    assert [entry["class_name"] for entry in layers] == ["InputLayer", "Dense", "ReLU"]
    assert layers[0]["config"] == {"batch_shape": [None, 8], "dtype": "float32", "name": "dense_input"}
    assert "batch_input_shape" not in layers[1]["config"]
    assert len(changes) == 1 and "InputLayer 'dense_input'" in changes[0]


def test_redundant_batch_input_shape_is_dropped():
    inp = {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 8]}}
    config = functional(inp, layer("Dense", units=4, batch_input_shape=[None, 8]))
    fixed, changes = legacy_h5.rewrite(config)
    assert "batch_input_shape" not in fixed["config"]["layers"][1]["config"]
    assert changes == ["layer 'dense' (Dense): dropped redundant 'batch_input_shape'"]


@pytest.mark.parametrize("cls", ["Lambda", "TFOpLambda", "SlicingOpLambda"])
def test_code_layers_are_refused_however_deep(cls):
    inner = {"class_name": "Sequential", "config": {"name": "inner", "layers": [layer(cls, function="f")]}}
    with pytest.raises(UnsupportedError, match=rf"layer '{cls.lower()}' \({cls}\) refused") as err:
        legacy_h5.refuse_code(functional(layer("Dense", units=2), inner), "m.h5")
    assert "never executes code" in err.value.message
    legacy_h5.refuse_code(functional(layer("Dense", units=2)), "m.h5")  # nothing to refuse


# --- against Keras 3 --------------------------------------------------------------------------------


def test_class_tables_match_keras():
    keras = _keras()
    for name in ("DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "Conv1DTranspose", "DepthwiseConv1D"):
        params = inspect.signature(getattr(keras.layers, name).__init__).parameters
        assert ("groups" in params) == (name not in legacy_h5.NO_GROUPS), name
        assert ("kernel_initializer" in params) == (name not in legacy_h5.NO_KERNEL_ARGS), name
    assert "groups" in inspect.signature(keras.layers.Conv2D.__init__).parameters


@pytest.fixture(scope="module")
def cnn():
    return small_cnn(_keras())


def _keras2_variants():
    """(name, edit) pairs: each edit adds one Keras 2 difference to a Keras 3 config."""

    def with_module(edit):
        def apply(config):
            config = edit(config)
            for entry in config["config"]["layers"]:
                entry["module"], entry["registered_name"] = "keras.layers", None
            return config

        return apply

    def each(cls, fn):
        def apply(config):
            config = copy.deepcopy(config)
            for entry in config["config"]["layers"]:
                if entry["class_name"] == cls:
                    fn(entry["config"])
            return config

        return apply

    def every(fn):
        def apply(config):
            config = copy.deepcopy(config)
            for entry in config["config"]["layers"]:
                fn(entry["config"])
            return config

        return apply

    def policy(cfg):
        if isinstance(cfg.get("dtype"), dict):
            cfg["dtype"] = {"class_name": "Policy", "config": {"name": "float32"}}

    return [
        ("depthwise groups", each("DepthwiseConv2D", lambda c: c.update(groups=1))),
        ("batchnorm axis list", with_module(each("BatchNormalization", lambda c: c.update(axis=[3])))),
        ("dtype policy dict", every(policy)),
    ]


@pytest.mark.parametrize("name, edit", _keras2_variants(), ids=[n for n, _ in _keras2_variants()])
def test_each_difference_breaks_keras_3_and_the_rewrite_fixes_it(cnn, name, edit):
    config = edit({"class_name": "Functional", "config": cnn.get_config()})
    with pytest.raises(ModelFileError, match="cannot rebuild the model"):
        legacy_h5.build_model(config, "m.h5")
    fixed, changes = legacy_h5.rewrite(config)
    assert changes
    rebuilt = legacy_h5.build_model(fixed, "m.h5")
    assert [type(x).__name__ for x in rebuilt.layers] == [type(x).__name__ for x in cnn.layers]


def test_keras3_h5_needs_no_change(cnn, tmp_path):
    path = tmp_path / "k3.h5"
    cnn.save(path)
    model, changes, version = legacy_h5.load_h5(path)
    assert changes == [] and version.startswith("3.")
    x = np.random.default_rng(1).uniform(0, 1, (5, 16, 16, 1)).astype(np.float32)
    assert np.array_equal(model(x).numpy(), cnn(x).numpy())


def test_keras2_h5_loads_with_identical_outputs(cnn, tmp_path):
    keras = _keras()
    path = tmp_path / "k2.h5"
    save_keras2_h5(cnn, path)
    with pytest.raises(Exception, match="DepthwiseConv2D"):
        keras.models.load_model(path, compile=False, safe_mode=True)
    model, changes, version = legacy_h5.load_h5(path)
    assert version == KERAS2_VERSION
    assert any("'groups': 1" in c for c in changes)
    assert any("'batch_input_shape' → 'batch_shape'" in c for c in changes)
    assert any("axis [3] → 3" in c for c in changes)
    x = np.random.default_rng(2).uniform(0, 1, (8, 16, 16, 1)).astype(np.float32)
    assert np.array_equal(model(x).numpy(), cnn(x).numpy())


def test_keras2_sequential_without_input_layer(tmp_path):
    keras = _keras()
    keras.utils.set_random_seed(3)
    seq = keras.Sequential([keras.Input((8,)), keras.layers.Dense(5, activation="relu"), keras.layers.Dense(3)])

    def drop_input_layer(config):
        config = keras2_config(config)
        layers = config["config"]["layers"]
        shape = layers.pop(0)["config"]["batch_input_shape"]
        layers[0]["config"]["batch_input_shape"] = shape
        return config

    path = tmp_path / "seq.h5"
    save_keras2_h5(seq, path, drop_input_layer)
    plain = keras.models.load_model(path, compile=False, safe_mode=True)
    assert plain.input_shape == (None, None, 8), "Keras 3 alone takes the batch axis for a data axis"
    model, changes, _ = legacy_h5.load_h5(path)
    assert model.input_shape == (None, 8)
    first = seq.layers[0].name
    assert any(f"InputLayer '{first}_input'" in c for c in changes), changes
    x = np.random.default_rng(4).normal(size=(6, 8)).astype(np.float32)
    assert np.array_equal(model(x).numpy(), seq(x).numpy())


def test_weight_shape_mismatch_is_one_error(cnn, tmp_path):
    import h5py

    path = tmp_path / "bad.h5"
    save_keras2_h5(cnn, path)
    with h5py.File(path, "r+") as f:
        g = f["model_weights/dense"]
        del g["dense/bias:0"]
        g["dense/bias:0"] = np.zeros(7, np.float32)
    with pytest.raises(ModelFileError, match=r"weight 'dense/bias:0' has shape \(7,\), layer 'dense' needs \(4,\)"):
        legacy_h5.load_h5(path)


def test_weights_only_and_non_hdf5_files(tmp_path, cnn):
    weights = tmp_path / "only.weights.h5"
    cnn.save_weights(weights)
    with pytest.raises(ModelFileError, match="no model config"):
        legacy_h5.read_h5(weights)
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    with pytest.raises(ModelFileError, match="not a readable HDF5 file"):
        legacy_h5.read_h5(junk)


def test_nested_model_with_frozen_layer_loads_in_keras_order(tmp_path):
    keras = _keras()
    keras.utils.set_random_seed(5)
    block = keras.Sequential(
        [
            keras.Input((8, 8, 2)),
            keras.layers.Conv2D(3, 3, name="c1"),
            keras.layers.BatchNormalization(name="b1"),
            keras.layers.DepthwiseConv2D(3, name="d1"),
        ],
        name="block",
    )
    block.get_layer("b1").trainable = False  # its weights come after the block's trainable ones
    rng = np.random.default_rng(6)
    for sub in block.layers:
        sub.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in sub.weights])
    inp = keras.Input((8, 8, 2), name="x")
    model = keras.Model(inp, keras.layers.Dense(2, name="head")(keras.layers.Flatten(name="flat")(block(inp))))
    path = tmp_path / "nested.h5"
    save_keras2_h5(model, path)
    loaded, changes, _ = legacy_h5.load_h5(path)
    assert any("(DepthwiseConv2D): dropped" in c for c in changes)
    x = rng.normal(size=(4, 8, 8, 2)).astype(np.float32)
    assert np.array_equal(loaded(x).numpy(), model(x).numpy())
