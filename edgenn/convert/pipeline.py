"""Run every conversion for a build directory, writing each artifact atomically."""

from __future__ import annotations

from pathlib import Path

from edgenn import layout
from edgenn.console import native_quiet, progress
from edgenn.data.splits import load_build_data
from edgenn.errors import ModelFileError
from edgenn.fileio import write_bytes
from edgenn.tfimport import tensorflow

ARTIFACTS = {
    "tflite_float": layout.TFLITE_FLOAT,
    "tflite_int8": layout.TFLITE_INT8,
    "onnx_float": layout.ONNX_FLOAT,
    "onnx_int8": layout.ONNX_INT8,
    "onnx_from_tflite_int8": layout.ONNX_FROM_TFLITE_INT8,
}


def load_keras(path: Path):
    """Load a .keras file with safe_mode: no code from the file is executed."""
    import keras

    from edgenn.train.fake_quant import register, relink

    register()  # edgenn's own fake-quantization layers, for models fine-tuned with them
    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelFileError(path, f"cannot load Keras model: {first}") from None
    relink(model)  # their links to the fake quantizers, by the names the file gives
    return model


def convert(build_dir: Path) -> dict[str, Path]:
    """Write the five model artifacts of a trained build directory.

    Returns:
        Artifact key → path.
    """
    build = layout.BuildDir(build_dir)
    build.require(layout.KERAS_MODEL)
    build_dir = build.path
    calib = load_build_data(build_dir).x_calib
    tf = tensorflow()
    import keras

    from edgenn.convert import onnx as onnx_conv
    from edgenn.convert.tflite import batch_one, keras_converter, serving_function, to_tflite

    model = load_keras(build_dir / layout.KERAS_MODEL)
    model = batch_one(keras, model)
    fn = serving_function(tf, model)
    paths = {key: build_dir / name for key, name in ARTIFACTS.items()}

    steps = [
        ("tflite_float", lambda: to_tflite(keras_converter(model), "float32")),
        ("tflite_int8", lambda: to_tflite(keras_converter(model), "int8_per_channel", calib)),
        ("onnx_float", lambda: onnx_conv.from_function(fn)),
        ("onnx_int8", lambda: onnx_conv.quantize_qdq(paths["onnx_float"].read_bytes(), calib)),
        ("onnx_from_tflite_int8", lambda: onnx_conv.from_tflite(paths["tflite_int8"])),
    ]
    with progress() as bar:
        task = bar.add_task("convert", total=len(steps), info="")
        for key, make in steps:
            bar.update(task, info=paths[key].name)
            with native_quiet():
                data = make()
            write_bytes(paths[key], data)
            bar.advance(task)
        bar.update(task, info="")
    return paths
