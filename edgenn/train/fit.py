"""`edgenn train`: build the recipe's model, fit it, keep the best epoch on the validation split."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from edgenn import __version__
from edgenn.console import progress
from edgenn.data.splits import calibration_set, load_dataset, save_build_data
from edgenn.errors import RecipeError
from edgenn.fileio import atomic_path, write_json
from edgenn.layout import HISTORY, KERAS_MODEL, KERAS_TEST_OUTPUTS, RECIPE_COPY
from edgenn.recipe import Recipe
from edgenn.tfimport import tensorflow


def default_build_dir(recipe: Recipe) -> Path:
    return Path("build") / recipe.name


def _optimizer(keras, spec):
    return {
        "adam": keras.optimizers.Adam,
        "sgd": lambda learning_rate: keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9),
        "rmsprop": keras.optimizers.RMSprop,
    }[spec.optimizer](learning_rate=spec.learning_rate)


def train(recipe: Recipe, build_dir: Path) -> dict:
    """Train the recipe's model and write model.keras, history.json, data.npz and recipe.toml.

    Returns:
        The history dict written to history.json.
    """
    tf = tensorflow()
    import keras

    from edgenn.train.layers import build_model

    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    ds = load_dataset(recipe.data, recipe.model.input_shape, recipe.path.parent)

    keras.utils.set_random_seed(recipe.train.seed)
    tf.config.experimental.enable_op_determinism()
    try:
        model = build_model(keras, recipe.model, recipe.name)
        model.build((None, *recipe.model.input_shape))
    except ValueError as exc:  # e.g. a kernel larger than its input
        first = str(exc).strip().splitlines()[0]
        raise RecipeError(recipe.path, f"the architecture does not build: {first}") from None
    classes = len(ds.labels)
    if model.output_shape[1:] != (classes,):
        raise RecipeError(
            recipe.path, f"the model outputs shape {model.output_shape[1:]}, the data has {classes} classes"
        )
    from_logits = recipe.model.layers[-1].type != "softmax"
    model.compile(
        optimizer=_optimizer(keras, recipe.train),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
        metrics=["accuracy"],
    )

    best = {"val_accuracy": -1.0, "epoch": 0, "weights": None}
    with progress() as bar:
        task = bar.add_task(f"train {recipe.name}", total=recipe.train.epochs, info="")

        class Report(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                # Keep the epoch that does best on validation data: the test split stays unseen.
                if logs.get("val_accuracy", 0.0) > best["val_accuracy"]:
                    best.update(val_accuracy=logs["val_accuracy"], epoch=epoch + 1, weights=self.model.get_weights())
                bar.update(
                    task, advance=1, info=f"loss {logs.get('loss', 0):.3f}  val acc {logs.get('val_accuracy', 0):.3f}"
                )

        start = time.perf_counter()
        fit = model.fit(
            ds.x_train,
            ds.y_train,
            validation_data=(ds.x_val, ds.y_val),
            epochs=recipe.train.epochs,
            batch_size=recipe.train.batch_size,
            verbose=0,
            callbacks=[Report()],
            shuffle=True,
        )
        seconds = time.perf_counter() - start
    model.set_weights(best["weights"])

    test_out = model.predict(ds.x_test, batch_size=256, verbose=0)
    if from_logits:
        test_out = tf.nn.softmax(test_out).numpy()
    test_acc = float(np.mean(np.argmax(test_out, axis=1) == ds.y_test))

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
        "best_epoch": best["epoch"],
        "best_val_accuracy": best["val_accuracy"],
        "test_accuracy": test_acc,
        "train_seconds": round(seconds, 2),
        "params": int(model.count_params()),
        "samples": {"train": len(ds.y_train), "val": len(ds.y_val), "test": len(ds.y_test)},
        "history": {k: [float(v) for v in vals] for k, vals in fit.history.items()},
    }
    write_json(build_dir / HISTORY, history)
    return history
