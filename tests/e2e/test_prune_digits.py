"""Pruning the digits model to 80% zeros: int8 accuracy holds under TFLM and the .tflite compresses.

Fine-tuning follows the recipe's [optimize] settings, chosen on the validation split; the test
split only measures the result.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgenn import layout
from edgenn.console import native_quiet
from edgenn.data.splits import load_build_data, load_dataset
from edgenn.evaluate.metrics import accuracy
from edgenn.evaluate.runners import TFLMRunner
from edgenn.graph.tflite import read_tflite
from edgenn.recipe import load_recipe

SPARSITY = 0.8


@pytest.fixture(scope="module")
def pruned(digits_build, tmp_path_factory):
    from edgenn.tfimport import tensorflow

    tensorflow()
    import keras

    from edgenn.convert.pipeline import load_keras
    from edgenn.convert.tflite import batch_one, keras_converter, to_tflite
    from edgenn.optimize.finetune import fine_tune
    from edgenn.optimize.prune import sparsity_report

    recipe = load_recipe(digits_build / layout.RECIPE_COPY)
    # data.npz keeps no training split: the recipe's seeded split recreates it.
    ds = load_dataset(recipe.data, recipe.model.input_shape)
    data = load_build_data(digits_build)
    out = tmp_path_factory.mktemp("pruned")
    # The recipe's [optimize] settings (defaults chosen on the validation split).
    tuned = fine_tune(load_keras(digits_build / layout.KERAS_MODEL), ds, recipe.optimize, recipe.train.seed, SPARSITY)

    paths = {}
    for name, source in (("unpruned", load_keras(digits_build / layout.KERAS_MODEL)), ("pruned", tuned.model)):
        with native_quiet():
            paths[name] = out / f"{name}_int8.tflite"
            model = batch_one(keras, source)
            paths[name].write_bytes(to_tflite(keras_converter(model), "int8_per_channel", data.x_calib))
    return {
        "targets": tuned.targets,
        "report": sparsity_report(tuned.model),
        "paths": paths,
        "seconds": tuned.seconds,
        "test": (data.x_test, data.y_test),
    }


def test_reaches_the_target_sparsity(pruned):
    report = pruned["report"]
    assert report["total"]["sparsity"] >= 0.75
    for row in report["layers"]:
        expected = pruned["targets"][row["name"]] * row["weights"]
        assert abs(row["zeros"] - expected) <= 1, row
    assert pruned["seconds"] < 60


def test_zeros_survive_int8_conversion(pruned):
    graph = read_tflite(pruned["paths"]["pruned"])
    weights = [
        graph.tensors[op.inputs[1]].data
        for op in graph.ops
        if op.name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
    ]
    assert sum(int(np.count_nonzero(w == 0)) for w in weights) >= pruned["report"]["total"]["zeros"]


def test_int8_accuracy_within_one_point_of_unpruned(pruned):
    x, y = pruned["test"]
    acc = {name: accuracy(TFLMRunner(path).predict(x), y) for name, path in pruned["paths"].items()}
    assert (acc["unpruned"] - acc["pruned"]) * 100 <= 1.0, acc


def test_pruned_tflite_compresses_far_better(pruned):
    from edgenn.optimize.prune import gzip_size

    sizes = {name: gzip_size(path) for name, path in pruned["paths"].items()}
    assert sizes["pruned"] <= 0.6 * sizes["unpruned"], sizes
