"""What each step writes into a build directory, and which command makes each file.

Every module names build-directory files through here. `BuildDir` wraps one folder: it knows its
files, whether its model was trained here (`edgenn train`) or imported (`edgenn convert MODEL`), the
task, and says which command makes a file that is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from edgenn.errors import BuildDirError
from edgenn.recipe import TASKS
from edgenn.schemas import check

MAX_JSON_BYTES = 64 * 1024 * 1024  # far above any file edgenn writes
BUILD_ROOT = Path("build")  # default parent of build directories, relative to the working directory

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

C_ARRAY_SUFFIX = "_data"  # `edgenn export` writes <model name>_data.h and <model name>_data.c

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
PLOT = "accuracy_vs_size.png"
VALIDATE_JSON = "validate.json"  # float against int8, layer by layer
VALIDATE_PLOT = "validate.png"
C_DIR = "c"
SPEAKER_DIR = "speaker_held_out"  # a second build on the speaker-held-out split (audio recipes)
SPEAKER_JSON = "speaker_held_out.json"
SOURCE_JSON = "source.json"  # what `edgenn convert MODEL` imported
FRONTEND_FOOTPRINT = "frontend_footprint.json"  # audio builds: the linked model + frontend firmware's bytes
LOG = "edgenn.log"  # what TensorFlow and the converters said, kept out of the terminal

# The command that writes each file of a build trained from a recipe.
MADE_BY = {
    KERAS_MODEL: "edgenn train",
    HISTORY: "edgenn train",
    RECIPE_COPY: "edgenn train",
    KERAS_TEST_OUTPUTS: "edgenn train",
    DATA: "edgenn train",
    TFLITE_FLOAT: "edgenn convert",
    TFLITE_INT8: "edgenn convert",
    ONNX_FLOAT: "edgenn convert",
    ONNX_INT8: "edgenn convert",
    ONNX_FROM_TFLITE_INT8: "edgenn convert",
    C_DIR: "edgenn codegen",
    REPORT_JSON: "edgenn eval",
    REPORT_MD: "edgenn eval",
    PLOT: "edgenn eval",
    VALIDATE_JSON: "edgenn validate",
    VALIDATE_PLOT: "edgenn validate",
    SPEAKER_JSON: "edgenn run",
    FRONTEND_FOOTPRINT: "edgenn run",
}
# What an imported build lacks for good, and what stands in for it.
NOT_IMPORTED = {
    KERAS_MODEL: "an imported build has no Keras model to train or convert",
    HISTORY: "an imported build has no training history",
    RECIPE_COPY: "an imported build has no recipe: pass budgets as options",
    KERAS_TEST_OUTPUTS: "an imported build has no recorded Keras outputs",
    DATA: "an imported build has no data of its own: pass --data X.npz",
}


def default_build_dir(name: str) -> Path:
    return BUILD_ROOT / name


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def read_json_object(path: Path, schema: str | None = None) -> dict | None:
    """A JSON object an earlier step wrote, or None when the file is absent; a BuildDirError when
    unreadable, too large, or (with `schema`, a name in edgenn.schemas) not as edgenn writes it.

    NaN and Infinity, which Python's json accepts but the standard does not, are refused."""
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_JSON_BYTES:
        raise BuildDirError(path, f"larger than {MAX_JSON_BYTES:,} bytes: not a file edgenn wrote")
    try:
        found = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except ValueError as exc:  # malformed, or NaN/Infinity
        raise BuildDirError(path, f"not valid JSON: {exc}") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise BuildDirError(path, f"unreadable ({exc})") from None
    except RecursionError:
        raise BuildDirError(path, "not valid JSON: nested too deeply") from None
    if not isinstance(found, dict):
        raise BuildDirError(path, "unreadable (not a JSON object)")
    if schema is not None:
        check(found, schema, path)
    return found


@dataclass(frozen=True)
class BuildDir:
    """One build directory: its files, how its model came in, and what is missing."""

    path: Path

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def exists(self) -> BuildDir:
        if not self.path.is_dir():
            raise BuildDirError(self.path, "build directory not found")
        return self

    @property
    def imported(self) -> bool:
        """Made by `edgenn convert MODEL` (a model trained elsewhere), not by `edgenn train`."""
        return (self.path / SOURCE_JSON).is_file()

    def source(self) -> dict | None:
        return read_json_object(self.path / SOURCE_JSON, "source")

    def history(self) -> dict | None:
        return read_json_object(self.path / HISTORY, "history")

    def missing(self, name: str, why: str = "missing") -> BuildDirError:
        """The error for a file this build lacks, naming the command that makes it."""
        path = self.path / name
        if self.imported and name in NOT_IMPORTED:
            return BuildDirError(path, f"{why}: {NOT_IMPORTED[name]}")
        if self.imported and name in (TFLITE_INT8, TFLITE_FLOAT, ONNX_FROM_TFLITE_INT8, C_DIR):
            fmt = ((self.source() or {}).get("model") or {}).get("format")
            if fmt == "onnx":
                return BuildDirError(
                    path, f"{why}: this build holds an imported ONNX model, and the C steps need a TFLite model"
                )
        maker = MADE_BY.get(name)
        if self.imported and maker in ("edgenn train", "edgenn convert"):
            maker = "edgenn convert MODEL -o " + str(self.path)
        return BuildDirError(path, f"{why}: run '{maker}' first" if maker else why)

    def require(self, name: str) -> Path:
        """The path of `name`, which must exist; else the error saying which command makes it."""
        self.exists()
        path = self.path / name
        if not path.exists():
            raise self.missing(name)
        return path

    @property
    def task(self) -> str:
        """classification, regression or anomaly: as `edgenn train` or `edgenn convert` recorded it."""
        for found in (self.history(), self.source()):
            if found and found.get("task") in TASKS:
                return found["task"]
        return "classification"

    @property
    def name(self) -> str:
        """The model's name: the recipe's, or the imported file's stem; else the folder's name."""
        source = self.source() if self.imported else None
        if source and isinstance(source.get("name"), str):
            return source["name"]
        history = self.history()
        if history and isinstance(history.get("recipe"), str):
            return history["recipe"]
        return self.path.name


def resolve_model(target: str | Path) -> tuple[Path, str]:
    """A build directory's int8 model, or a .tflite file, with the model's name (the default C prefix)."""
    target = Path(target)
    if target.is_dir():
        build = BuildDir(target)
        return build.require(TFLITE_INT8), build.name
    if not target.is_file():
        raise BuildDirError(target, "not found: give a build directory or a .tflite file")
    return target, target.stem
