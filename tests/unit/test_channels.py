"""Structured pruning: which layers qualify, which channels go, and that the smaller model computes the same."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.optimize.channels import kept_count, top_channels
from tests.conftest import REPO


def test_importing_the_module_does_not_import_tensorflow():
    code = "import sys, edgenn.optimize.channels; sys.exit('tensorflow' in sys.modules or 'keras' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


def test_kept_count_rounds_halves_up_and_respects_the_bounds():
    assert kept_count(8, 0.5) == 4
    assert kept_count(5, 0.5) == 3  # 2.5 rounds up
    assert kept_count(7, 0.3) == 2
    assert kept_count(8, 0.01) == 1
    assert kept_count(8, 0.01, min_channels=3) == 3
    assert kept_count(4, 0.5, min_channels=10) == 4
    assert kept_count(6, 1.0) == 6


def test_top_channels_keep_original_order_and_break_ties_to_the_lower_index():
    assert top_channels(np.array([0.1, 5.0, 3.0, 4.0]), 2).tolist() == [1, 3]
    assert top_channels(np.array([2.0, 1.0, 2.0, 2.0]), 2).tolist() == [0, 2]
    assert top_channels(np.ones(5), 3).tolist() == [0, 1, 2]
    tied = np.r_[np.ones(40), 3.0, np.ones(40)]
    assert top_channels(tied, 6).tolist() == [0, 1, 2, 3, 4, 40]


@pytest.fixture(scope="module")
def keras():
    from edgenn.tfimport import tensorflow

    tensorflow()
    import keras

    return keras


def randomize_batchnorms(model, seed=1):
    """Give every BatchNormalization statistics far from the identity, some gammas negative."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ != "BatchNormalization":
            continue
        values = []
        for w in layer.weights:
            n = w.shape[0]
            if "gamma" in w.path:
                values.append(rng.uniform(0.3, 2.0, n) * rng.choice([-1.0, 1.0], n))
            elif "beta" in w.path:
                values.append(rng.normal(0, 0.5, n))
            elif "moving_mean" in w.path:
                values.append(rng.normal(0, 0.5, n))
            else:
                values.append(rng.uniform(0.2, 3.0, n))
        layer.set_weights([v.astype(np.float32) for v in values])
    return model


def conv_model(keras, center=True, scale=True, functional=False):
    """conv → BN → relu → maxpool → conv → flatten → dense."""
    keras.utils.set_random_seed(0)
    L = keras.layers
    layers = [
        L.Conv2D(8, 3, padding="same", name="c1", bias_initializer="random_normal"),
        L.BatchNormalization(center=center, scale=scale, name="bn1"),
        L.ReLU(name="relu1"),
        L.MaxPooling2D(2, name="pool"),
        L.Conv2D(6, 3, padding="same", name="c2", bias_initializer="random_normal"),
        L.Flatten(name="flat"),
        L.Dense(4, name="out", bias_initializer="random_normal"),
    ]
    if functional:
        x = inp = keras.Input((8, 8, 2), name="input")
        for layer in layers:
            x = layer(x)
        model = keras.Model(inp, x, name="convnet")
    else:
        model = keras.Sequential([keras.Input((8, 8, 2), name="input"), *layers], name="convnet")
    return randomize_batchnorms(model)


def depthwise_model(keras, multiplier):
    """conv → relu → depthwise → BN → conv → GAP → dense."""
    keras.utils.set_random_seed(0)
    L = keras.layers
    model = keras.Sequential(
        [
            keras.Input((6, 6, 3), name="input"),
            L.Conv2D(6, 1, name="c1", bias_initializer="random_normal"),
            L.ReLU(6.0, name="relu"),
            L.DepthwiseConv2D(3, depth_multiplier=multiplier, padding="same", name="dw", bias_initializer="ones"),
            L.BatchNormalization(name="bn"),
            L.Conv2D(5, 1, name="c2", bias_initializer="random_normal"),
            L.GlobalAveragePooling2D(name="gap"),
            L.Dense(3, name="out"),
        ],
        name="dwnet",
    )
    return randomize_batchnorms(model)


def mlp(keras):
    keras.utils.set_random_seed(0)
    L = keras.layers
    return keras.Sequential(
        [
            keras.Input((10,), name="input"),
            L.Dense(16, activation="relu", name="h1", bias_initializer="random_normal"),
            L.Dense(12, name="h2", bias_initializer="random_normal"),
            L.Activation("tanh", name="tanh"),
            L.Dropout(0.5, name="drop"),
            L.Dense(3, activation="softmax", name="out"),
        ],
        name="mlp",
    )


def run(model, x):
    return np.asarray(model(x, training=False))


def inputs(model, n=16, seed=2):
    shape = tuple(model.inputs[0].shape)[1:]
    return np.random.default_rng(seed).normal(size=(n, *shape)).astype(np.float32)


def removed(report, name):
    row = next(r for r in report["layers"] if r["name"] == name)
    return sorted(set(range(row["channels"])) - set(row["indices"]))


def masked_copy(keras, model, zero_rows: dict[str, list[int]]):
    """A copy of `model` whose named layers read nothing from the given input channels (kernel rows)."""
    copy = type(model).from_config(model.get_config())
    copy.set_weights(model.get_weights())
    for name, rows in zero_rows.items():
        layer = copy.get_layer(name)
        weights = layer.get_weights()
        kernel = weights[0]
        index = [slice(None)] * kernel.ndim
        index[kernel.ndim - 2] = list(rows)
        kernel[tuple(index)] = 0.0
        layer.set_weights([kernel, *weights[1:]])
    return copy


def flat_rows(channels, positions, width):
    return [p * width + c for p in range(positions) for c in channels]


def conv_param_count(c1, c2, bn_weights=4):
    """Parameters of conv_model with c1 and c2 filters (8x8x2 input, 4x4 after pooling)."""
    return (3 * 3 * 2 * c1 + c1) + bn_weights * c1 + (3 * 3 * c1 * c2 + c2) + (4 * 4 * c2 * 4 + 4)


@pytest.mark.parametrize("center,scale,functional", [(True, True, False), (False, False, False), (True, True, True)])
def test_conv_bn_flatten_dense_matches_the_masked_original(keras, center, scale, functional):
    from edgenn.optimize.channels import prunable_channel_layers, prune_channels

    model = conv_model(keras, center=center, scale=scale, functional=functional)
    assert prunable_channel_layers(model) == ["c1", "c2"]
    pruned, report = prune_channels(model, 0.5)

    assert type(pruned) is type(model)
    assert [(r["name"], r["channels"], r["kept"]) for r in report["layers"]] == [("c1", 8, 4), ("c2", 6, 3)]
    drop1, drop2 = removed(report, "c1"), removed(report, "c2")
    assert len(drop1) == 4 and len(drop2) == 3
    reference = masked_copy(keras, model, {"c2": drop1, "out": flat_rows(drop2, 16, 6)})
    x = inputs(model)
    np.testing.assert_allclose(run(pruned, x), run(reference, x), rtol=1e-5, atol=1e-5)
    # The removed channels did matter: the unmasked original computes something else.
    assert not np.allclose(run(pruned, x), run(model, x), rtol=1e-3, atol=1e-3)

    bn_weights = 2 + center + scale
    assert report["params"] == {
        "before": conv_param_count(8, 6, bn_weights),
        "after": conv_param_count(4, 3, bn_weights),
    }
    assert pruned.count_params() == report["params"]["after"]
    assert model.count_params() == report["params"]["before"]


def test_names_and_configs_are_kept_except_the_channel_counts(keras):
    from edgenn.optimize.channels import prune_channels

    model = conv_model(keras)
    pruned, _ = prune_channels(model, 0.5)
    assert [layer.name for layer in pruned.layers] == [layer.name for layer in model.layers]
    assert not pruned.compiled
    for before, after in zip(model.layers, pruned.layers, strict=True):
        a, b = before.get_config(), after.get_config()
        if before.name in ("c1", "c2"):
            assert b["filters"] == a["filters"] // 2
            a.pop("filters"), b.pop("filters")
        assert a == b, before.name
    assert all(w.dtype == "float32" for w in pruned.weights)


@pytest.mark.parametrize("multiplier", [1, 2])
def test_depthwise_chain_matches_the_masked_original(keras, multiplier):
    from edgenn.optimize.channels import channel_scores, prune_channels

    model = depthwise_model(keras, multiplier)
    pruned, report = prune_channels(model, {"c1": 0.5, "c2": 0.6})
    assert [(r["name"], r["kept"]) for r in report["layers"]] == [("c1", 3), ("c2", 3)]
    drop1, drop2 = removed(report, "c1"), removed(report, "c2")
    # Channel c of c1 becomes depthwise outputs c*m .. c*m+m-1, which c2 reads.
    rows = [c * multiplier + k for c in drop1 for k in range(multiplier)]
    reference = masked_copy(keras, model, {"c2": rows, "out": drop2})
    x = inputs(model)
    np.testing.assert_allclose(run(pruned, x), run(reference, x), rtol=1e-5, atol=1e-5)

    kept1 = [c for c in range(6) if c not in drop1]
    spread = [c * multiplier + k for c in kept1 for k in range(multiplier)]
    dw_before, dw_after = model.get_layer("dw").get_weights(), pruned.get_layer("dw").get_weights()
    np.testing.assert_array_equal(dw_after[0], dw_before[0][:, :, kept1, :])
    np.testing.assert_array_equal(dw_after[1], dw_before[1][spread])
    for a, b in zip(pruned.get_layer("bn").get_weights(), model.get_layer("bn").get_weights(), strict=True):
        np.testing.assert_array_equal(a, b[spread])
    assert pruned.get_layer("c2").get_weights()[0].shape == (1, 1, 3 * multiplier, 3)

    # The BatchNormalization after the depthwise does not scale c1's channels one to one: plain L1 norms.
    kernel = model.get_layer("c1").get_weights()[0]
    np.testing.assert_allclose(channel_scores(model)["c1"], np.abs(kernel).sum(axis=(0, 1, 2)), rtol=1e-6)

    m = multiplier
    before = (3 * 6 + 6) + (9 * 6 * m + 6 * m) + 4 * 6 * m + (6 * m * 5 + 5) + (5 * 3 + 3)
    after = (3 * 3 + 3) + (9 * 3 * m + 3 * m) + 4 * 3 * m + (3 * m * 3 + 3) + (3 * 3 + 3)
    assert report["params"] == {"before": before, "after": after}


def test_mlp_prunes_both_hidden_layers_and_never_the_output(keras):
    from edgenn.optimize.channels import prunable_channel_layers, prune_channels

    model = mlp(keras)
    assert prunable_channel_layers(model) == ["h1", "h2"]
    pruned, report = prune_channels(model, 0.25)
    assert [(r["name"], r["kept"]) for r in report["layers"]] == [("h1", 4), ("h2", 3)]
    assert pruned.get_layer("out").units == 3
    reference = masked_copy(keras, model, {"h2": removed(report, "h1"), "out": removed(report, "h2")})
    x = inputs(model)
    np.testing.assert_allclose(run(pruned, x), run(reference, x), rtol=1e-5, atol=1e-5)
    assert report["params"] == {
        "before": (10 * 16 + 16) + (16 * 12 + 12) + (12 * 3 + 3),
        "after": (10 * 4 + 4) + (4 * 3 + 3) + (3 * 3 + 3),
    }
    with pytest.raises(ValueError, match="'out'.*prunable: h1, h2"):
        prune_channels(model, {"out": 0.5})


def test_keep_one_changes_nothing(keras):
    from edgenn.optimize.channels import prune_channels

    model = depthwise_model(keras, 2)
    pruned, report = prune_channels(model, 1.0)
    assert pruned is not model
    assert report["params"]["before"] == report["params"]["after"] == model.count_params()
    assert all(r["kept"] == r["channels"] for r in report["layers"])
    x = inputs(model)
    np.testing.assert_array_equal(run(pruned, x), run(model, x))
    for a, b in zip(pruned.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_mapping_prunes_only_the_named_layers(keras):
    from edgenn.optimize.channels import prune_channels

    model = conv_model(keras)
    pruned, report = prune_channels(model, {"c2": 0.5})
    assert [(r["name"], r["kept"]) for r in report["layers"]] == [("c1", 8), ("c2", 3)]
    assert pruned.get_layer("c1").filters == 8 and pruned.get_layer("c2").filters == 3
    np.testing.assert_array_equal(pruned.get_layer("c1").get_weights()[0], model.get_layer("c1").get_weights()[0])
    reference = masked_copy(keras, model, {"out": flat_rows(removed(report, "c2"), 16, 6)})
    x = inputs(model)
    np.testing.assert_allclose(run(pruned, x), run(reference, x), rtol=1e-5, atol=1e-5)
    assert report["params"]["after"] == conv_param_count(8, 3)


def test_scores_and_selection_follow_the_filters_and_batchnorm_scale(keras):
    from edgenn.optimize.channels import channel_scores, prune_channels

    model = conv_model(keras)
    c1, bn = model.get_layer("c1"), model.get_layer("bn1")
    kernel, bias = c1.get_weights()
    kernel = np.full_like(kernel, 0.1)
    kernel[..., 5] = 1.0  # clearly the largest filter
    kernel[..., 2] = 0.01  # clearly the smallest
    kernel[..., 6] = 0.5  # large, but its BatchNormalization scales it to almost nothing
    c1.set_weights([kernel, bias])
    gamma, beta, mean, var = bn.get_weights()
    gamma[:] = 1.0
    var[:] = 1.0 - bn.epsilon
    gamma[6] = -1e-3
    bn.set_weights([gamma, beta, mean, var])

    scores = channel_scores(model)["c1"]
    expected = np.abs(kernel).sum(axis=(0, 1, 2)) * np.abs(gamma) / np.sqrt(var + bn.epsilon)
    np.testing.assert_allclose(scores, expected, rtol=1e-6)
    assert set(channel_scores(model)) == {"c1", "c2"}

    pruned, report = prune_channels(model, {"c1": 0.25})
    # 0 is the first of the tied 0.1 filters; 5 outranks it but stays after it.
    assert report["layers"][0]["indices"] == [0, 5]
    np.testing.assert_array_equal(pruned.get_layer("c1").get_weights()[0], kernel[..., [0, 5]])
    np.testing.assert_array_equal(pruned.get_layer("bn1").get_weights()[0], gamma[[0, 5]])

    _, report = prune_channels(model, {"c1": 7 / 8})
    assert removed(report, "c1") == [6]
    _, report = prune_channels(model, {"c1": 6 / 8})
    assert removed(report, "c1") == [2, 6]


def test_min_channels_sets_a_floor(keras):
    from edgenn.optimize.channels import prune_channels

    model = mlp(keras)
    _, report = prune_channels(model, 0.01)
    assert [r["kept"] for r in report["layers"]] == [1, 1]
    pruned, report = prune_channels(model, 0.01, min_channels=5)
    assert [r["kept"] for r in report["layers"]] == [5, 5]
    assert pruned.get_layer("h1").units == 5
    _, report = prune_channels(model, 0.01, min_channels=14)
    assert [r["kept"] for r in report["layers"]] == [14, 12]
    with pytest.raises(ValueError, match="min_channels"):
        prune_channels(model, 0.5, min_channels=0)


def test_the_original_model_is_left_unchanged(keras):
    from edgenn.optimize.channels import prune_channels

    model = conv_model(keras)
    weights = [w.copy() for w in model.get_weights()]
    configs = [layer.get_config() for layer in model.layers]
    x = inputs(model)
    before = run(model, x)
    prune_channels(model, 0.3)
    for a, b in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert [layer.get_config() for layer in model.layers] == configs
    np.testing.assert_array_equal(run(model, x), before)


@pytest.mark.parametrize("keep", [0, 0.0, -0.5, 1.5, {"h1": 0.0}, {"h2": 1.01}, "half"])
def test_fractions_outside_the_unit_interval_are_refused(keras, keep):
    from edgenn.optimize.channels import prune_channels

    with pytest.raises(ValueError, match=r"keep for .* must be"):
        prune_channels(mlp(keras), keep)


def test_unknown_name_is_refused_listing_the_prunable_layers(keras):
    from edgenn.optimize.channels import prune_channels

    with pytest.raises(ValueError, match=r"no prunable layer named 'nope' \(prunable: c1, c2\)"):
        prune_channels(conv_model(keras), {"c1": 0.5, "nope": 0.5})


def test_a_branching_model_is_refused(keras):
    from edgenn.optimize.channels import prunable_channel_layers, prune_channels

    L = keras.layers
    inp = keras.Input((6, 6, 3), name="input")
    a = L.Conv2D(4, 1, name="a")(inp)
    b = L.Conv2D(4, 1, name="b")(a)
    x = L.Add(name="merge")([a, b])
    x = L.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inp, L.Dense(2, name="out")(x))
    with pytest.raises(UnsupportedError, match="layer 'merge' \\(Add\\) reads 2 tensors"):
        prune_channels(model, 0.5)
    with pytest.raises(UnsupportedError, match="merge"):
        prunable_channel_layers(model)


def test_a_layer_feeding_two_layers_is_refused(keras):
    from edgenn.optimize.channels import prune_channels

    L = keras.layers
    inp = keras.Input((4,), name="input")
    h = L.Dense(4, name="h")(inp)
    model = keras.Model(inp, [L.Dense(2, name="o1")(h), L.Dense(2, name="o2")(h)])
    with pytest.raises(UnsupportedError, match="2 outputs"):
        prune_channels(model, 0.5)
    model = keras.Model(inp, L.Dense(2, name="o3")(L.Multiply(name="mul")([h, h])))
    with pytest.raises(UnsupportedError, match="'mul'"):
        prune_channels(model, 0.5)


def test_grouped_convolution_is_refused(keras):
    from edgenn.optimize.channels import prune_channels

    L = keras.layers
    model = keras.Sequential(
        [
            keras.Input((6, 6, 4), name="input"),
            L.Conv2D(4, 3, groups=2, name="grouped"),
            L.Conv2D(4, 3, name="c"),
            L.Flatten(),
            L.Dense(2, name="out"),
        ]
    )
    with pytest.raises(UnsupportedError, match="layer 'grouped' \\(Conv2D\\) has groups=2"):
        prune_channels(model, 0.5)


@pytest.mark.parametrize(
    "between,message",
    [
        (lambda L: L.Reshape((36, 4), name="between"), "layer 'between' \\(Reshape\\) lies between 'c1'"),
        (lambda L: L.PReLU(name="between"), "layer 'between' \\(PReLU\\) lies between 'c1'"),
        (lambda L: L.Softmax(name="between"), "'between' \\(Softmax\\).*normalises across channels"),
        (lambda L: L.Activation("softmax", name="between"), "'between' \\(Activation\\).*normalises"),
    ],
)
def test_layers_the_channels_cannot_pass_are_refused(keras, between, message):
    from edgenn.optimize.channels import prune_channels

    L = keras.layers
    model = keras.Sequential(
        [keras.Input((6, 6, 3), name="input"), L.Conv2D(4, 1, name="c1"), between(L), L.Dense(2, name="out")]
    )
    with pytest.raises(UnsupportedError, match=message):
        prune_channels(model, 0.5)


def test_unusual_layers_off_the_pruned_path_are_allowed(keras):
    from edgenn.optimize.channels import prunable_channel_layers, prune_channels

    L = keras.layers
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((12,), name="input"),
            L.Dense(8, name="h"),
            L.Dense(6, name="last"),
            L.Reshape((2, 3), name="shape"),
            L.Softmax(name="probs"),  # over the classes, after the last Dense
        ]
    )
    assert prunable_channel_layers(model) == ["h"]
    pruned, _ = prune_channels(model, 0.5)
    reference = masked_copy(keras, model, {"last": removed(prune_channels(model, 0.5)[1], "h")})
    x = inputs(model)
    np.testing.assert_allclose(run(pruned, x), run(reference, x), rtol=1e-5, atol=1e-5)


def test_channels_first_and_nested_models_are_refused(keras):
    from edgenn.optimize.channels import prune_channels

    L = keras.layers
    model = keras.Sequential(
        [
            keras.Input((3, 6, 6), name="input"),
            L.Conv2D(4, 1, data_format="channels_first", name="cf"),
            L.Conv2D(4, 1, data_format="channels_first", name="cf2"),
            L.Flatten(),
            L.Dense(2, name="out"),
        ]
    )
    with pytest.raises(UnsupportedError, match="layer 'cf' \\(Conv2D\\) uses data_format 'channels_first'"):
        prune_channels(model, 0.5)

    inner = keras.Sequential([keras.Input((4,)), L.Dense(4, name="inner_dense")], name="inner")
    model = keras.Sequential([keras.Input((4,), name="input"), L.Dense(4, name="h"), inner, L.Dense(2)])
    with pytest.raises(UnsupportedError, match="layer 'inner' \\(Sequential\\) is a nested model"):
        prune_channels(model, 0.5)
