"""The speaker-held-out figure for an audio recipe: the same recipe, trained without one voice.

The customary FSDD split tests on recordings of speakers the model also trained on, which flatters
it. Training again on the "speaker" split (every recording of `data.test_speaker` held out) and
measuring the int8 model under TFLM on that speaker says how the model does on a voice it never
heard. The result goes into the build directory, and `edgenn eval` puts it in report.json.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from edgenn import layout
from edgenn.console import native_quiet
from edgenn.data.splits import load_build_data
from edgenn.fileio import write_bytes, write_json
from edgenn.recipe import Recipe
from edgenn.tfimport import tensorflow


def applies(recipe: Recipe) -> bool:
    """A WAV recipe that names a test speaker and does not already hold that speaker out."""
    return recipe.data.source == "wav" and bool(recipe.data.test_speaker) and recipe.data.split != "speaker"


def speaker_held_out(recipe: Recipe, build_dir: Path) -> dict | None:
    """Train on the speaker split into build_dir/speaker_held_out; None when the recipe names no test speaker."""
    if not applies(recipe):
        return None
    tensorflow()
    import keras

    from edgenn.convert.pipeline import load_keras
    from edgenn.convert.tflite import batch_one, keras_converter, to_tflite
    from edgenn.evaluate.metrics import accuracy
    from edgenn.evaluate.runners import TFLMRunner
    from edgenn.train.fit import train

    sub = Path(build_dir) / layout.SPEAKER_DIR
    held_out = dataclasses.replace(recipe, data=dataclasses.replace(recipe.data, split="speaker"))
    history = train(held_out, sub)
    data = load_build_data(sub)
    with native_quiet():
        model = batch_one(keras, load_keras(sub / layout.KERAS_MODEL))
        tflite = to_tflite(keras_converter(model), "int8_per_channel", data.x_calib)
    write_bytes(sub / layout.TFLITE_INT8, tflite)
    outputs = TFLMRunner(sub / layout.TFLITE_INT8).predict(data.x_test)
    result = {
        "split": "speaker",
        "test_speaker": recipe.data.test_speaker,
        "samples": int(len(data.y_test)),
        "float_accuracy": history["test_accuracy"],
        "int8_accuracy": accuracy(outputs, data.y_test),
        "runner": "tflm",
        "per_class_int8_accuracy": _per_class(outputs, data),
    }
    write_json(Path(build_dir) / layout.SPEAKER_JSON, result)
    return result


def _per_class(outputs: np.ndarray, data) -> dict[str, float]:
    predicted = np.argmax(outputs, axis=1)
    return {
        label: float(np.mean(predicted[data.y_test == i] == i))
        for i, label in enumerate(data.labels)
        if np.any(data.y_test == i)
    }
