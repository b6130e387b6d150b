"""What each step writes into a build directory. Every module names files through here."""

import json
from pathlib import Path

from edgenn.errors import BuildDirError

KERAS_MODEL = "model.keras"
HISTORY = "history.json"
RECIPE_COPY = "recipe.toml"
KERAS_TEST_OUTPUTS = "keras_test_outputs.npy"
DATA = "data.npz"

TFLITE_FLOAT = "model_float.tflite"
TFLITE_INT8 = "model_int8.tflite"
ONNX_FLOAT = "model_float.onnx"
ONNX_INT8 = "model_int8.onnx"
ONNX_FROM_TFLITE_INT8 = "model_int8_tflite.onnx"

C_HEADER = "model_data.h"
C_SOURCE = "model_data.c"

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
PLOT = "accuracy_vs_size.png"
C_DIR = "c"
SPEAKER_DIR = "speaker_held_out"  # a second build on the speaker-held-out split (audio recipes)
SPEAKER_JSON = "speaker_held_out.json"
SOURCE_JSON = "source.json"  # what `edgenn convert MODEL` imported


def int8_tflite(build_dir) -> Path:
    """The build's int8 .tflite; a BuildDirError saying why when there is none."""
    path = Path(build_dir) / TFLITE_INT8
    if path.is_file():
        return path
    source = Path(build_dir) / SOURCE_JSON
    if source.is_file():
        try:
            fmt = (json.loads(source.read_text()).get("model") or {}).get("format")
        except (json.JSONDecodeError, OSError, AttributeError):
            fmt = None
        if fmt == "onnx":
            raise BuildDirError(
                path, "missing: this build holds an imported ONNX model, and the C steps need a TFLite model"
            )
    raise BuildDirError(path, "missing: run 'edgenn convert' first")


FRONTEND_FOOTPRINT = "frontend_footprint.json"  # audio builds: the linked model + frontend firmware's bytes
