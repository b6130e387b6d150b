"""`edgenn train`: build the recipe's model, fit it, keep the best epoch on the validation split."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from edgenn import __version__
from edgenn.console import progress
from edgenn.data.splits import calibration_set, load_recipe_data, save_build_data
from edgenn.errors import RecipeError
from edgenn.evaluate.metrics import METRICS, score
from edgenn.fileio import atomic_path, write_json
from edgenn.layout import HISTORY, KERAS_MODEL, KERAS_TEST_OUTPUTS, RECIPE_COPY
from edgenn.recipe import Recipe
from edgenn.tfimport import tensorflow


def _optimizer(keras, spec):
    return {
        "adam": keras.optimizers.Adam,
        "sgd": lambda learning_rate: keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9),
        "rmsprop": keras.optimizers.RMSprop,
    }[spec.optimizer](learning_rate=spec.learning_rate)


def _outputs(recipe: Recipe, ds) -> int:
    """Width of the model's output: classes, regression targets, or (autoencoder) input features."""
    task = recipe.model.task
    if task == "classification":
        return len(ds.labels)
    if task == "regression":
        return int(np.prod(ds.y_train.shape[1:], dtype=np.int64)) if ds.y_train.ndim > 1 else 1
    return int(np.prod(recipe.model.input_shape, dtype=np.int64))


def fit_pairs(task: str, ds) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(inputs, targets) for fitting and for validation.

    An anomaly autoencoder learns to reconstruct normal samples only (label 0): anomalies are what it
    then reconstructs badly.
    """
    if task == "anomaly":
        normal_train, normal_val = ds.x_train[ds.y_train == 0], ds.x_val[ds.y_val == 0]
        return (normal_train, normal_train), (normal_val, normal_val)
    if task == "regression":
        return (ds.x_train, ds.y_train.reshape(len(ds.y_train), -1)), (ds.x_val, ds.y_val.reshape(len(ds.y_val), -1))
    return (ds.x_train, ds.y_train), (ds.x_val, ds.y_val)


def train(recipe: Recipe, build_dir: Path, on_epoch=None) -> dict:
    """Train the recipe's model and write model.keras, history.json, data.npz and recipe.toml;
    `on_epoch(epoch, logs)`, where given, hears each epoch's figures (a search stops trials early by them).

    Returns:
        The history dict written to history.json.
    """
    tf = tensorflow()
    import keras

    from edgenn.train.layers import build_model, outputs_probabilities

    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    ds = load_recipe_data(recipe)

    task = recipe.model.task
    keras.utils.set_random_seed(recipe.train.seed)
    tf.config.experimental.enable_op_determinism()
    outputs = _outputs(recipe, ds)
    try:
        model = build_model(keras, recipe.model, recipe.name, outputs)
        model.build((None, *recipe.model.input_shape))
    except ValueError as exc:  # e.g. a kernel larger than its input
        first = str(exc).strip().splitlines()[0]
        raise RecipeError(recipe.path, f"the architecture does not build: {first}") from None
    expected = tuple(recipe.model.input_shape) if task == "anomaly" else (outputs,)
    if tuple(model.output_shape[1:]) != expected:
        what = {"classification": f"{outputs} classes", "regression": f"{outputs} targets"}.get(task, "inputs")
        raise RecipeError(recipe.path, f"the model outputs shape {model.output_shape[1:]}, the data has {what}")
    from_logits = not outputs_probabilities(model)
    loss, metric, monitor = {
        "classification": (
            keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
            "accuracy",
            "val_accuracy",
        ),
        "regression": (keras.losses.MeanSquaredError(), "mae", "val_loss"),
        "anomaly": (keras.losses.MeanSquaredError(), "mae", "val_loss"),
    }[task]
    model.compile(optimizer=_optimizer(keras, recipe.train), loss=loss, metrics=[metric])
    (x_fit, y_fit), (x_val, y_val) = fit_pairs(task, ds)
    better = (lambda new, old: new > old) if monitor == "val_accuracy" else (lambda new, old: new < old)

    best = {"value": None, "epoch": 0, "weights": None}
    with progress() as bar:
        task_id = bar.add_task(f"train {recipe.name}", total=recipe.train.epochs, info="")

        class Report(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                # Keep the epoch that does best on validation data: the test split stays unseen.
                value = logs.get(monitor)
                if value is not None and (best["value"] is None or better(value, best["value"])):
                    best.update(value=value, epoch=epoch + 1, weights=self.model.get_weights())
                bar.update(task_id, advance=1, info=f"loss {logs.get('loss', 0):.4f}  {monitor} {value or 0:.4f}")
                if on_epoch is not None:
                    on_epoch(epoch + 1, logs)

        start = time.perf_counter()
        fit = model.fit(
            x_fit,
            y_fit,
            validation_data=(x_val, y_val),
            epochs=recipe.train.epochs,
            batch_size=recipe.train.batch_size,
            verbose=0,
            callbacks=[Report()],
            shuffle=True,
        )
        seconds = time.perf_counter() - start
    model.set_weights(best["weights"])

    test_out = model.predict(ds.x_test, batch_size=256, verbose=0)
    if task == "classification" and from_logits:
        test_out = tf.nn.softmax(test_out).numpy()
    test_score = score(task, test_out, ds.y_test, ds.x_test)

    with atomic_path(build_dir / KERAS_MODEL) as tmp:
        model.save(tmp)
    with atomic_path(build_dir / KERAS_TEST_OUTPUTS) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, test_out.astype(np.float32))
    save_build_data(build_dir, ds, calibration_set(ds, recipe.quantize.representative_samples, recipe.train.seed))
    with atomic_path(build_dir / RECIPE_COPY) as tmp:
        shutil.copyfile(recipe.path, tmp)

    history = {
        "schema": 1,
        "edgenn_version": __version__,
        "recipe": recipe.name,
        "epochs": recipe.train.epochs,
        "task": task,
        "metric": METRICS[task].name,
        "best_epoch": best["epoch"],
        "best_val_accuracy": float(best["value"]) if monitor == "val_accuracy" else None,
        "best_val_loss": float(best["value"]) if monitor == "val_loss" else None,
        "test_score": test_score,
        "test_accuracy": test_score if task == "classification" else None,
        "train_seconds": round(seconds, 2),
        "params": int(model.count_params()),
        "samples": {"train": len(ds.y_train), "val": len(ds.y_val), "test": len(ds.y_test)},
        "history": {k: [float(v) for v in vals] for k, vals in fit.history.items()},
    }
    write_json(build_dir / HISTORY, history, schema="history")
    return history
