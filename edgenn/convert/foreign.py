"""`edgenn convert MODEL`: a model trained elsewhere, imported into a build directory.

MODEL is a Keras file (.keras, .h5), a TensorFlow SavedModel directory, a .tflite or an .onnx
file. The build directory gets what `edgenn export`, `codegen` and `analyze` read:

- Keras and SavedModel: model_int8.tflite (full-integer int8, int8 input and output, per-channel
  weights) and model_float.tflite, both traced with batch 1.
- .tflite: an integer-only model is copied as model_int8.tflite. A float .tflite is refused: it
  cannot be quantized without the graph it was converted from.
- .onnx: model_float.onnx and a static QDQ int8 model_int8.onnx. edgenn cannot turn ONNX into
  TFLite, so the C steps, which read model_int8.tflite, do not apply.

source.json records the imported model and its sha256, the calibration data and every change the
importer made. No code from a model file is ever executed: Keras files load in safe mode and any
Lambda layer is refused before the model is built. The directory is written beside its
destination and renamed into place, so a failure leaves no partial output.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgenn import layout
from edgenn.console import warning
from edgenn.errors import DataError, EdgeNNError, ModelFileError, UnsupportedError, first_line
from edgenn.fileio import write_dir
from edgenn.layout import TASKS
from edgenn.schemas import produced

SOURCE_JSON = layout.SOURCE_JSON
FORMATS = {".keras": "keras", ".h5": "h5", ".hdf5": "h5", ".tflite": "tflite", ".onnx": "onnx"}
SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
MAX_CALIB_SAMPLES = 500  # a larger calibration set is subsampled (seeded) to this many
RANDOM_CALIB_SAMPLES = 100
RANDOM_CALIB_RANGE = (0.0, 1.0)
RANDOM_CALIB_SEED = 0
ONNX_QUANTIZED_OPS = frozenset({"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul"})
FLOAT_EDGE_OPS = frozenset({"QUANTIZE", "DEQUANTIZE"})

Warn = Callable[[str], None]


_stderr_warning = warning


@dataclass
class Imported:
    """What an import wrote: the build directory, its files, and source.json's content."""

    out_dir: Path
    paths: list[Path]
    source: dict
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Result:
    artifacts: dict[str, bytes]
    input: dict
    output: dict
    calibration: dict
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def is_saved_model(path: Path) -> bool:
    return path.is_dir() and any((path / name).is_file() for name in SAVED_MODEL_FILES)


def is_model(target: str | Path) -> bool:
    """Whether `target` names a model to import rather than a build directory to convert."""
    target = Path(target)
    if target.is_dir():
        return is_saved_model(target)
    return target.is_file() or target.suffix.lower() in FORMATS


def model_format(path: Path) -> str:
    if path.is_dir():
        if is_saved_model(path):
            return "saved_model"
        raise ModelFileError(path, "not a SavedModel directory (no saved_model.pb)")
    if not path.exists():
        raise ModelFileError(path, "model file not found")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise ModelFileError(path, f"unknown model type '{path.suffix or path.name}': give {known} or a SavedModel dir")
    return fmt


def default_out_dir(model: str | Path) -> Path:
    model = Path(model)
    return layout.default_build_dir(model.name if model.is_dir() else model.stem)


def _sha256(path: Path) -> str:
    """sha256 of a file, or of a directory's files (relative path and bytes, in path order)."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.relative_to(path).as_posix().encode() + b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()


# --- calibration -------------------------------------------------------------------------------


def load_calibration(path: Path, input_shape: tuple[int, ...]) -> tuple[np.ndarray, dict]:
    """Samples from an .npz's `x_calib` (else `x`), checked against the model's input shape."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "calibration file not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            key = "x_calib" if "x_calib" in npz.files else "x" if "x" in npz.files else None
            if key is None:
                raise DataError(path, f"needs an array 'x' (or 'x_calib'), found {', '.join(npz.files) or 'none'}")
            x = npz[key]
    except DataError:
        raise
    except Exception as exc:
        raise DataError(path, f"not a readable .npz file ({type(exc).__name__}: {first_line(exc)})") from None
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(path, f"'{key}' must be numeric, got {x.dtype}")
    if x.ndim != len(input_shape) + 1 or tuple(x.shape[1:]) != tuple(input_shape):
        raise DataError(
            path,
            f"'{key}' samples have shape {tuple(x.shape[1:])}, the model input is {tuple(input_shape)} "
            "(the first axis counts samples)",
        )
    if len(x) == 0:
        raise DataError(path, f"'{key}' has no samples")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise DataError(path, f"'{key}' has NaN or infinite values")
    total = len(x)
    if total > MAX_CALIB_SAMPLES:
        rng = np.random.default_rng(RANDOM_CALIB_SEED)
        x = x[np.sort(rng.choice(total, MAX_CALIB_SAMPLES, replace=False))]
    record = {
        "source": "file",
        "path": str(path),
        "sha256": _sha256(path),
        "array": key,
        "samples": len(x),
        "of": total,
    }
    if total > len(x):
        record["subsample_seed"] = RANDOM_CALIB_SEED
    return x, record


def random_calibration(input_shape: tuple[int, ...], warn: Warn) -> tuple[np.ndarray, dict]:
    low, high = RANDOM_CALIB_RANGE
    warn(
        f"no --calib data: calibrating on {RANDOM_CALIB_SAMPLES} random inputs uniform in [{low:g}, {high:g}] "
        f"(seed {RANDOM_CALIB_SEED}); int8 accuracy on real inputs may be poor: pass --calib data.npz"
    )
    rng = np.random.default_rng(RANDOM_CALIB_SEED)
    x = rng.uniform(low, high, (RANDOM_CALIB_SAMPLES, *input_shape)).astype(np.float32)
    record = {
        "source": "random",
        "distribution": "uniform",
        "range": [low, high],
        "seed": RANDOM_CALIB_SEED,
        "samples": RANDOM_CALIB_SAMPLES,
    }
    return x, record


def _calibration(calib: Path | None, input_shape: tuple[int, ...], warn: Warn) -> tuple[np.ndarray, dict]:
    if calib is not None:
        return load_calibration(calib, input_shape)
    return random_calibration(input_shape, warn)


def _input_shape(shape, where: Path, what: str = "input") -> tuple[int, ...]:
    """The shape of one sample: batch axis dropped, every other dimension known."""
    dims = tuple(shape)
    if len(dims) < 2 or any(d is None or (isinstance(d, int) and d <= 0) for d in dims[1:]):
        raise UnsupportedError(where, f"{what} shape {dims} has unknown dimensions besides the batch")
    if dims[0] not in (None, 1, -1, 0):
        raise UnsupportedError(where, f"{what} shape {dims} has a fixed batch of {dims[0]}; edgenn needs batch 1")
    return tuple(int(d) for d in dims[1:])


# --- TFLite conversion ------------------------------------------------------------------------


def _tflite_pair(make_converter, calib: np.ndarray, where: Path) -> dict[str, bytes]:
    """Float and full-integer int8 TFLite (int8 I/O, per-channel weights) from a converter factory."""
    from edgenn.convert.tflite import to_tflite
    from edgenn.graph.tflite import parse_tflite

    out = {}
    for name, variant, kind in (
        (layout.TFLITE_FLOAT, "float32", "float"),
        (layout.TFLITE_INT8, "int8_per_channel", "int8"),
    ):
        try:
            out[name] = to_tflite(make_converter, variant, calib)
        except Exception as exc:
            raise UnsupportedError(where, f"{kind} TFLite conversion failed: {first_line(exc)}") from None
    parse_tflite(out[layout.TFLITE_INT8], Path(layout.TFLITE_INT8))
    return out


def _keras_io(model, where: Path) -> tuple[tuple[int, ...], dict, dict]:
    try:
        inputs, outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError):
        raise ModelFileError(
            where, "the model has no defined input: build it with an input shape and save again"
        ) from None
    if len(inputs) != 1 or len(outputs) != 1:
        raise UnsupportedError(
            where, f"the model has {len(inputs)} inputs and {len(outputs)} outputs; edgenn needs one of each"
        )
    shape = _input_shape(inputs[0].shape, where)
    out_shape = tuple(None if d is None else int(d) for d in outputs[0].shape)
    return (
        shape,
        {"shape": [1, *shape], "dtype": str(inputs[0].dtype)},
        {"shape": [1, *out_shape[1:]], "dtype": str(outputs[0].dtype)},
    )


def _keras_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _keras_layers(layer)


def _keras_config(path: Path) -> dict:
    """The config.json of a .keras archive, read without Keras."""
    try:
        with zipfile.ZipFile(path) as zf:
            return json.loads(zf.read("config.json"))
    except KeyError:
        raise ModelFileError(path, "not a Keras archive (no config.json inside)") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelFileError(path, f"not a readable .keras file ({first_line(exc)})") from None


def _summary(path: Path, changes: list[str]) -> str:
    """Routine Keras 2 → 3 rewrites in one line, counted by kind: the list itself is in source.json."""
    kinds: dict[str, int] = {}
    for change in changes:
        what = change.split(": ", 1)[-1]
        kind = re.sub(r"'[^']*'|\{.*\}|\[.*\]|\(.*\)|(?<!Keras )-?\b\d+\b", "…", what)
        kinds[kind] = kinds.get(kind, 0) + 1
    listed = "; ".join(f"{n}× {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    return (
        f"{path}: {len(changes)} Keras 2 → 3 config rewrites ({listed}), each listed under 'changes' in {SOURCE_JSON}"
    )


def _from_keras(path: Path, fmt: str, calib: Path | None, warn: Warn) -> _Result:
    from edgenn.convert import legacy_h5

    changes: list[str] = []
    extra: dict = {}
    if fmt == "h5":
        stored = legacy_h5.read_h5(path)  # h5py only: a refusal needs no TensorFlow
        legacy_h5.refuse_code(stored.config, path)
        config, changes = legacy_h5.rewrite(stored.config, path)
        extra["keras_version"] = stored.keras_version
        if changes:
            warn(_summary(path, changes))
    else:
        legacy_h5.refuse_code(_keras_config(path), path)

    from edgenn.tfimport import tensorflow

    tensorflow()
    import keras

    from edgenn.console import native_quiet
    from edgenn.convert.pipeline import load_keras
    from edgenn.convert.tflite import batch_one, keras_converter

    with native_quiet():
        if fmt == "h5":
            model = legacy_h5.build_model(config, path)
            legacy_h5.load_weights(model, path)
        else:
            model = load_keras(path)
    for layer in _keras_layers(model):
        if isinstance(layer, keras.layers.Lambda):
            raise UnsupportedError(path, f"layer '{layer.name}' (Lambda) refused: edgenn never executes model code")
    shape, inp, out = _keras_io(model, path)
    x, record = _calibration(calib, shape, warn)
    with native_quiet():
        model = batch_one(keras, model)
    artifacts = _tflite_pair(keras_converter(model), x, path)
    return _Result(artifacts, inp, out, record, changes, ["traced with batch 1 (static shapes)"], extra)


def _from_saved_model(path: Path, calib: Path | None, warn: Warn) -> _Result:
    from edgenn.tfimport import tensorflow

    tf = tensorflow()
    from edgenn.console import native_quiet

    try:
        with native_quiet():
            loaded = tf.saved_model.load(str(path))
    except Exception as exc:
        raise ModelFileError(path, f"cannot load SavedModel: {first_line(exc)}") from None
    signatures = dict(loaded.signatures)
    if "serving_default" not in signatures:
        found = ", ".join(signatures) or "none"
        raise UnsupportedError(path, f"no 'serving_default' signature (found: {found})")
    fn = signatures["serving_default"]
    _, in_specs = fn.structured_input_signature
    out_specs = fn.structured_outputs
    if len(in_specs) != 1 or len(out_specs) != 1:
        raise UnsupportedError(
            path,
            f"the serving signature has {len(in_specs)} inputs and {len(out_specs)} outputs; edgenn needs one of each",
        )
    (in_name, spec), (out_name, out_spec) = next(iter(in_specs.items())), next(iter(out_specs.items()))
    if spec.dtype != tf.float32:
        raise UnsupportedError(path, f"input '{in_name}' is {spec.dtype.name}; edgenn needs a float32 input")
    shape = _input_shape(spec.shape.as_list(), path)
    x, record = _calibration(calib, shape, warn)

    batch1 = tf.function(
        lambda t: fn(**{in_name: t})[out_name],
        input_signature=[tf.TensorSpec((1, *shape), tf.float32, name="input")],
    )
    with native_quiet():
        concrete = batch1.get_concrete_function()
    artifacts = _tflite_pair(lambda: tf.lite.TFLiteConverter.from_concrete_functions([concrete], loaded), x, path)
    out_dims = out_spec.shape.as_list()
    return _Result(
        artifacts,
        {"shape": [1, *shape], "dtype": "float32", "name": in_name},
        {"shape": [1, *out_dims[1:]], "dtype": out_spec.dtype.name, "name": out_name},
        record,
        notes=["serving_default signature traced with batch 1 (static shapes)"],
    )


def _from_tflite(path: Path, calib: Path | None, warn: Warn) -> _Result:
    from edgenn.graph.tflite import parse_tflite

    data = path.read_bytes()
    graph = parse_tflite(data, path)
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise UnsupportedError(
            path, f"the model has {len(graph.inputs)} inputs and {len(graph.outputs)} outputs; edgenn needs one of each"
        )
    float_ops = [
        op.name
        for op in graph.ops
        if op.name not in FLOAT_EDGE_OPS
        and any(
            graph.tensors[t].data is None and graph.tensors[t].dtype.startswith("float")
            for t in (*op.inputs, *op.outputs)
            if t >= 0
        )
    ]
    if float_ops:
        raise UnsupportedError(
            path,
            f"a float model ({len(float_ops)} ops compute in float, e.g. {float_ops[0]}): a .tflite cannot be "
            "quantized without the graph it came from; import the Keras, SavedModel or ONNX model instead",
        )
    if calib is not None:
        warn(f"--calib {calib} ignored: {path.name} is already quantized")
    i, o = graph.input_tensor(), graph.output_tensor()
    return _Result(
        {layout.TFLITE_INT8: data},
        {"shape": list(i.shape), "dtype": i.dtype},
        {"shape": list(o.shape), "dtype": o.dtype},
        {"source": "none", "reason": "the model is already quantized"},
        notes=["copied unchanged"],
    )


def _onnx_shape(value_info) -> list[int | None]:
    return [d.dim_value if d.HasField("dim_value") else None for d in value_info.type.tensor_type.shape.dim]


def _from_onnx(path: Path, calib: Path | None, warn: Warn) -> _Result:
    import onnx

    from edgenn.console import native_quiet
    from edgenn.convert.onnx import quantize_qdq
    from edgenn.graph.onnx import read_onnx
    from edgenn.isolate import isolated

    data, _ = read_onnx(path)  # checked, so that what follows can trust its structure
    proto = onnx.load_model_from_string(data)
    initializers = {i.name for i in proto.graph.initializer}
    inputs = [i for i in proto.graph.input if i.name not in initializers]
    outputs = list(proto.graph.output)
    if len(inputs) != 1 or len(outputs) != 1:
        raise UnsupportedError(
            path, f"the model has {len(inputs)} inputs and {len(outputs)} outputs; edgenn needs one of each"
        )
    elem = inputs[0].type.tensor_type.elem_type
    if elem != onnx.TensorProto.FLOAT:
        raise UnsupportedError(
            path, f"input '{inputs[0].name}' is {onnx.TensorProto.DataType.Name(elem)}; edgenn needs float"
        )
    shape = _input_shape(_onnx_shape(inputs[0]), path)
    inp = {"shape": [1, *shape], "dtype": "float32", "name": inputs[0].name}
    out = {"shape": _onnx_shape(outputs[0]), "name": outputs[0].name}
    note = (
        "edgenn cannot convert ONNX to TFLite, so there is no model_int8.tflite: "
        "'edgenn export', 'codegen' and 'analyze' need one (import the Keras, SavedModel or .tflite model for C)"
    )
    warn(f"{path.name}: {note}")
    if any(n.op_type in ONNX_QUANTIZED_OPS for n in proto.graph.node):
        if calib is not None:
            warn(f"--calib {calib} ignored: {path.name} is already quantized")
        return _Result(
            {layout.ONNX_INT8: data},
            inp,
            out,
            {"source": "none", "reason": "the model is already quantized"},
            notes=["already quantized: copied as model_int8.onnx", note],
        )
    x, record = _calibration(calib, shape, warn)
    try:
        with native_quiet():
            int8 = isolated(lambda: quantize_qdq(data, x), "onnxruntime's quantizer", path)
    except ModelFileError:
        raise
    except Exception as exc:
        raise UnsupportedError(path, f"ONNX int8 quantization failed: {first_line(exc)}") from None
    return _Result(
        {layout.ONNX_FLOAT: data, layout.ONNX_INT8: int8},
        inp,
        out,
        record,
        notes=["int8: static QDQ, per-channel weights, MinMax-calibrated int8 activations, float I/O", note],
    )


# --- the build directory ----------------------------------------------------------------------


def _check_destination(out_dir: Path) -> None:
    """An existing destination is replaced only if it is empty or a previous import."""
    if out_dir.exists() and not out_dir.is_dir():
        raise EdgeNNError(out_dir, "exists and is not a directory: choose another -o")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / SOURCE_JSON).is_file():
        raise EdgeNNError(out_dir, f"exists and is not an imported model's build directory (no {SOURCE_JSON})")


def _task(task: str | None, result: _Result, warn: Warn) -> str:
    if task is not None:
        if task not in TASKS:
            raise EdgeNNError(None, f"unknown task '{task}' (known: {', '.join(TASKS)})")
        return task
    if result.output.get("shape") == result.input.get("shape"):
        warn(
            f"the output has the input's shape {tuple(result.input['shape'])}: scored as an autoencoder "
            "(task anomaly, ROC AUC of the reconstruction error); pass --task to say otherwise"
        )
        return "anomaly"
    return "classification"


def import_model(
    model: str | Path,
    calib: str | Path | None = None,
    out_dir: str | Path | None = None,
    warn: Warn | None = None,
    command: str = "edgenn convert",
    task: str | None = None,
) -> Imported:
    """Import `model` into a build directory (default build/<model name>).

    Args:
        model: a .keras, .h5, .tflite or .onnx file, or a SavedModel directory.
        calib: an .npz whose `x_calib` (or `x`) holds calibration samples shaped like one model
            input. Without it, random inputs uniform in RANDOM_CALIB_RANGE are used, with a warning.
        out_dir: the build directory to write.
        warn: called with each warning line once the directory is written; default: printed on stderr.
        task: classification, regression or anomaly, recorded for `edgenn eval`. Default: anomaly for a
            model whose output has its input's shape (an autoencoder, said in a warning), else classification.
    """
    model = Path(model)
    warn = warn or _stderr_warning
    warnings: list[str] = []
    record_warning = warnings.append  # printed once the import has succeeded: a failure is one line

    fmt = model_format(model)
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(model)
    _check_destination(out_dir)
    calib = None if calib is None else Path(calib)
    if calib is not None and not calib.is_file():
        raise DataError(calib, "calibration file not found")
    if fmt in ("keras", "h5"):
        result = _from_keras(model, fmt, calib, record_warning)
    elif fmt == "saved_model":
        result = _from_saved_model(model, calib, record_warning)
    elif fmt == "tflite":
        result = _from_tflite(model, calib, record_warning)
    else:
        result = _from_onnx(model, calib, record_warning)

    task = _task(task, result, record_warning)
    source = {
        "schema": 1,
        "name": model.name if model.is_dir() else model.stem,
        "task": task,
        "command": command,
        "model": {
            "path": str(model),
            "format": fmt,
            "sha256": _sha256(model),
            "sha256_of": "directory files, by relative path" if model.is_dir() else "file",
            **{k: v for k, v in result.extra.items() if v is not None},
        },
        "input": result.input,
        "output": result.output,
        "calibration": result.calibration,
        "changes": result.changes,
        "notes": result.notes,
        "artifacts": sorted(result.artifacts),
        "warnings": warnings,
    }
    produced(source, "source")
    files = {**result.artifacts, SOURCE_JSON: (json.dumps(source, indent=2, ensure_ascii=False) + "\n").encode()}
    write_dir(out_dir, files)
    for message in warnings:
        warn(message)
    return Imported(out_dir, [out_dir / name for name in sorted(files)], source, warnings)
