"""Magnitude pruning: the schedule, the masks, and a tiny model trained under the callback."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from edgenn.optimize.prune import gzip_size, magnitude_mask, polynomial_sparsity
from tests.conftest import REPO


def test_schedule_at_begin_middle_and_end():
    assert polynomial_sparsity(100, 100, 300, 0.1, 0.9) == pytest.approx(0.1)
    assert polynomial_sparsity(200, 100, 300, 0.1, 0.9) == pytest.approx(0.9 - 0.8 * 0.5**3)
    assert polynomial_sparsity(300, 100, 300, 0.1, 0.9) == pytest.approx(0.9)
    assert polynomial_sparsity(0, 100, 300, 0.1, 0.9) == pytest.approx(0.1)
    assert polynomial_sparsity(10_000, 100, 300, 0.1, 0.9) == pytest.approx(0.9)
    assert polynomial_sparsity(200, 100, 300, 0.0, 0.8, power=1) == pytest.approx(0.4)


def test_schedule_rises_monotonically_and_fastest_early():
    values = [polynomial_sparsity(s, 0, 100, 0.0, 0.8) for s in range(101)]
    steps = np.diff(values)
    assert np.all(steps >= 0)
    assert steps[0] > steps[50] > steps[-1]


@pytest.mark.parametrize(
    "args", [(0, 10, 10, 0.0, 0.5), (0, 0, 10, 0.6, 0.5), (0, 0, 10, 0.0, 1.0), (0, 0, 10, -0.1, 0.5)]
)
def test_schedule_rejects_bad_arguments(args):
    with pytest.raises(ValueError):
        polynomial_sparsity(*args)


def test_mask_removes_exactly_the_smallest_magnitudes():
    w = np.array([[0.5, -0.1], [0.05, -2.0], [0.3, 0.2]], np.float32)
    mask = magnitude_mask(w, 0.5)
    assert mask.shape == w.shape
    assert np.array_equal(mask, [[1, 0], [0, 1], [1, 0]])


def test_mask_keeps_earlier_pruning_even_if_weights_grew_back():
    w = np.array([5.0, 4.0, 3.0, 2.0, 1.0], np.float32)
    keep = np.array([0, 1, 1, 1, 1], np.float32)  # the largest weight was pruned earlier
    mask = magnitude_mask(w, 0.4, keep)
    assert np.array_equal(mask, [0, 1, 1, 1, 0])


def test_gzip_size_of_bytes_and_of_a_file(tmp_path):
    rng = np.random.default_rng(0)
    noise = rng.integers(-128, 128, 4000, dtype=np.int8).tobytes()
    sparse = np.where(rng.random(4000) < 0.8, 0, rng.integers(-128, 128, 4000)).astype(np.int8).tobytes()
    (tmp_path / "noise.bin").write_bytes(noise)
    assert gzip_size(noise) == gzip_size(tmp_path / "noise.bin") == gzip_size(str(tmp_path / "noise.bin"))
    assert gzip_size(sparse) < 0.5 * gzip_size(noise)


def test_importing_the_module_does_not_import_tensorflow():
    code = "import sys, edgenn.optimize.prune; sys.exit('tensorflow' in sys.modules or 'keras' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


@pytest.fixture(scope="module")
def keras():
    from edgenn.tfimport import tensorflow

    tensorflow()
    import keras

    return keras


def tiny_model(keras):
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((4, 4, 1)),
            keras.layers.Conv2D(4, 3, padding="same", name="conv", bias_initializer="ones"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.ReLU(),
            keras.layers.Flatten(),
            keras.layers.Dense(16, name="hidden", bias_initializer="ones"),
            keras.layers.Dense(3, name="head", bias_initializer="ones"),
        ],
        name="tiny",
    )


def tiny_data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(64, 4, 4, 1)).astype(np.float32), rng.integers(0, 3, 64)


TARGETS = {"conv": 0.5, "hidden": 0.75, "head": 0.6}


@pytest.fixture(scope="module")
def trained(keras):
    from edgenn.optimize.prune import MagnitudePruning, kernel_variable

    model = tiny_model(keras)
    # A large step with momentum: were the masks not re-applied, pruned weights would come straight back.
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=keras.losses.SparseCategoricalCrossentropy(True))
    pruning = MagnitudePruning(TARGETS, begin_step=2, end_step=12, frequency=3)
    seen = {"steps": 0, "zeros": {name: [] for name in TARGETS}, "changed": 0}
    previous = {}

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen["steps"] += 1
            for name, mask in pruning.masks.items():
                w = kernel_variable(self.model.get_layer(name)).numpy()
                assert np.all(w[mask == 0] == 0), f"step {pruning.step}: pruned weights of '{name}' revived"
                zeros = w == 0
                if name in previous:
                    assert np.all(zeros[previous[name]]), f"step {pruning.step}: '{name}' lost a zero"
                    seen["changed"] += int(np.any(w[~zeros] != self.last[name][~zeros]))
                previous[name] = zeros
                seen["zeros"][name].append(int(zeros.sum()))
            self.last = {n: kernel_variable(self.model.get_layer(n)).numpy() for n in TARGETS}

    x, y = tiny_data()
    before = {v.path: v.numpy() for v in model.weights}
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False, callbacks=[pruning, Watch()])
    return {"model": model, "pruning": pruning, "seen": seen, "before": before}


def test_masks_hold_through_every_optimizer_step(trained):
    seen = trained["seen"]
    assert trained["pruning"].step == seen["steps"] == 24
    assert seen["changed"] > 0, "the optimizer never moved an unpruned weight"
    for name, zeros in seen["zeros"].items():
        assert zeros == sorted(zeros), name


def test_each_layer_ends_at_its_exact_sparsity(trained, keras):
    from edgenn.optimize.prune import sparsity_report

    report = sparsity_report(trained["model"])
    assert [row["name"] for row in report["layers"]] == ["conv", "hidden", "head"]
    for row in report["layers"]:
        assert abs(row["zeros"] - TARGETS[row["name"]] * row["weights"]) <= 1, row
        assert row["sparsity"] == row["zeros"] / row["weights"]
    total = report["total"]
    assert total["weights"] == sum(r["weights"] for r in report["layers"]) == 36 + 64 * 16 + 16 * 3
    assert total["zeros"] == sum(r["zeros"] for r in report["layers"])


def test_biases_and_batchnorm_are_never_pruned(trained):
    model = trained["model"]
    for layer in ("conv", "hidden", "head"):
        assert np.count_nonzero(model.get_layer(layer).bias.numpy()) == model.get_layer(layer).bias.shape[0]
    for weight in model.get_layer("bn").weights:
        values = weight.numpy()
        assert np.count_nonzero(values) == values.size, weight.path
    # The moving statistics did move, so BatchNormalization really trained alongside.
    bn_mean = next(w for w in model.get_layer("bn").weights if "moving_mean" in w.path)
    assert not np.array_equal(bn_mean.numpy(), trained["before"][bn_mean.path])


def test_strip_leaves_a_plain_model_with_the_zeros(trained, keras):
    from edgenn.optimize.prune import sparsity_report, strip

    model = trained["model"]
    stripped = strip(model)
    fresh = tiny_model(keras)
    assert isinstance(stripped, keras.Sequential)

    def variables(m):
        return [(layer.name, w.name, tuple(w.shape)) for layer in m.layers for w in layer.weights]

    assert variables(stripped) == variables(fresh)
    assert len(stripped.weights) == len(fresh.weights)
    assert [type(layer) for layer in stripped.layers] == [type(layer) for layer in fresh.layers]
    assert not stripped.compiled and getattr(stripped, "optimizer", None) is None
    for a, b in zip(stripped.get_weights(), model.get_weights(), strict=True):
        assert np.array_equal(a, b)
    assert sparsity_report(stripped) == sparsity_report(model)
    x, _ = tiny_data()
    assert np.allclose(stripped.predict(x, verbose=0), model.predict(x, verbose=0))


def test_default_targets_spare_small_layers_and_reach_the_total(keras):
    from edgenn.optimize.prune import default_targets

    model = tiny_model(keras)
    targets = default_targets(model, 0.8)
    assert list(targets) == ["conv", "hidden", "head"]  # no BatchNormalization, no bias
    assert targets["conv"] == targets["head"] == 0.5  # 36 and 48 weights: under the small-layer threshold
    assert targets["hidden"] > 0.8
    sizes = {"conv": 36, "hidden": 1024, "head": 48}
    assert sum(targets[n] * sizes[n] for n in sizes) == pytest.approx(0.8 * sum(sizes.values()))


def test_unknown_target_layer_is_refused(keras):
    from edgenn.optimize.prune import MagnitudePruning

    model = tiny_model(keras)
    model.compile(optimizer="adam", loss="mse")
    x, _ = tiny_data()
    with pytest.raises(ValueError, match="no prunable layer named bn"):
        model.fit(x, np.zeros((64, 3)), epochs=1, verbose=0, callbacks=[MagnitudePruning({"bn": 0.5}, 0, 10)])
