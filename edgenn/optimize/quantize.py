"""Quantization variants of one model, and which of edgenn's runners can execute each.

TFLite variants come from a Keras model (`tflite_variant`, names in `TFLITE_VARIANTS`); ONNX QDQ
variants come from a float ONNX model (`onnx_variant`, names in `ONNX_VARIANTS`). Not every
runner executes every variant: TFLM has no hybrid (dynamic-range) or float16-weight kernels, and
the generated C runs the integer variants (int8, int16x8) whose ops all have its kernels.
`runner_support` finds out by loading and invoking the model in each installed engine rather than
from a table, so the answer follows the installed versions; a variant no runner can execute gets
an empty list and a reason per runner.

Calibration: TFLite variants use whatever `calib` holds; ONNX variants use at most
`ONNX_CALIB_SAMPLES` (64) of it, because onnxruntime's Entropy and Percentile calibrators keep
every intermediate tensor of every sample in memory before building their histograms.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgenn.console import native_quiet
from edgenn.convert.tflite import VARIANTS as TFLITE_VARIANTS  # the converter settings of each TFLite variant
from edgenn.convert.tflite import to_tflite
from edgenn.errors import EdgeNNError, UnsupportedError, first_line
from edgenn.evaluate.runners import runner_for
from edgenn.tfimport import tensorflow

ONNX_CALIB_SAMPLES = 64
# Full int8 from a model fine-tuned with fake quantization (edgenn.optimize.qat.to_int8): a variant of
# a trained model rather than a conversion setting, so not in TFLITE_VARIANTS.
QAT_VARIANT = "int8_qat"
RUNNERS = ("litert", "tflm", "onnxruntime", "c")
TFLITE_RUNNERS = ("litert", "tflm", "c")


@dataclass(frozen=True)
class OnnxVariant:
    calibration: str  # onnxruntime.quantization.CalibrationMethod member name
    per_channel: bool


ONNX_VARIANTS: dict[str, OnnxVariant] = {
    f"qdq_{method.lower()}_{'per_channel' if pc else 'per_tensor'}": OnnxVariant(method, pc)
    for method in ("MinMax", "Entropy", "Percentile")
    for pc in (True, False)
}


def _unknown(name: str) -> EdgeNNError:
    known = ", ".join([*TFLITE_VARIANTS, *ONNX_VARIANTS])
    return EdgeNNError(None, f"unknown quantization variant {name!r}; known: {known}")


def tflite_variant(model, name: str, calib: np.ndarray | None = None) -> bytes:
    """Convert a Keras model to the TFLite variant `name` (calibrated variants need `calib`)."""
    if name not in TFLITE_VARIANTS:
        raise _unknown(name)

    def make_converter():
        # Built only once to_tflite has checked the calibration samples.
        import keras

        from edgenn.convert.tflite import batch_one

        one = model if model.input_shape[0] == 1 else batch_one(keras, model)
        return tensorflow().lite.TFLiteConverter.from_keras_model(one)

    return to_tflite(make_converter, name, calib)


def onnx_variant(float_onnx: bytes, name: str, calib: np.ndarray, max_samples: int = ONNX_CALIB_SAMPLES) -> bytes:
    """Static QDQ quantization (int8 weights and activations, float I/O) of a float ONNX model."""
    if name not in ONNX_VARIANTS:
        raise _unknown(name)
    from edgenn.convert.onnx import quantize_qdq

    variant = ONNX_VARIANTS[name]
    with native_quiet():  # the calibrators print progress
        return quantize_qdq(float_onnx, calib[:max_samples], variant.calibration, variant.per_channel)


def is_tflite(data: bytes) -> bool:
    return len(data) >= 8 and data[4:8] == b"TFL3"


@dataclass
class RunnerSupport:
    """Runners that loaded and invoked the model, and for every other runner why not."""

    runners: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


def _zeros_input(data: bytes, graph) -> np.ndarray:
    if graph is not None:
        return np.zeros(graph.input_tensor().shape, np.float32)
    import onnx

    dims = onnx.load_from_string(data).graph.input[0].type.tensor_type.shape.dim
    return np.zeros([d.dim_value or 1 for d in dims], np.float32)  # a symbolic batch becomes 1


def _c_reason(graph) -> str | None:
    """Why edgenn's generated C cannot run the graph, or None when it can."""
    from edgenn.reference import supported_ops
    from edgenn.reference.interpreter import prepare

    missing = [op for op in graph.op_names if op not in supported_ops(need_c=True)]
    if missing:
        return f"ops without a C kernel: {', '.join(missing)}"
    try:
        prepare(graph, need_c=True)
    except UnsupportedError as exc:
        # Name the activation dtypes: the kernels' own message points at the first tensor only.
        acts = sorted({t.dtype for t in graph.tensors if t.data is None})
        return f"{'/'.join(acts)} activations: {first_line(exc)}"
    return None


def runner_support(variant_name: str, data: bytes) -> RunnerSupport:
    """Try every runner on the model (load, then invoke once on zeros); the C backend is only checked."""
    if variant_name not in TFLITE_VARIANTS and variant_name not in ONNX_VARIANTS and variant_name != QAT_VARIANT:
        raise _unknown(variant_name)
    from edgenn.graph.tflite import parse_tflite

    tflite = is_tflite(data)
    graph = parse_tflite(data) if tflite else None
    support = RunnerSupport()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "model.tflite" if tflite else "model.onnx")
        path.write_bytes(data)
        for kind in RUNNERS:
            if (kind in TFLITE_RUNNERS) != tflite:
                support.reasons[kind] = f"takes {'TFLite' if kind in TFLITE_RUNNERS else 'ONNX'} models only"
                continue
            if kind == "c":
                reason = _c_reason(graph)
            else:
                try:
                    with native_quiet():
                        runner = runner_for(kind, path)
                        runner.predict(_zeros_input(data, graph))
                    reason = None
                except ImportError as exc:
                    reason = f"not installed ({exc.name})"
                except (EdgeNNError, RuntimeError, ValueError) as exc:
                    reason = first_line(exc)
            if reason is None:
                support.runners.append(kind)
            else:
                support.reasons[kind] = reason
    return support


def runners_for(variant_name: str, data: bytes) -> list[str]:
    """Installed runners that execute the variant; empty when none does (see runner_support's reasons)."""
    return runner_support(variant_name, data).runners


@dataclass
class VariantResult:
    name: str
    size_bytes: int
    support: RunnerSupport
    accuracy: dict[str, float]  # runner → top-1 accuracy; the C runner is reported, not run

    @property
    def runners(self) -> list[str]:
        return self.support.runners


def evaluate_variant(name: str, data: bytes, x: np.ndarray, y: np.ndarray) -> VariantResult:
    """Top-1 accuracy of the variant on (x, y) with every runner that can execute it, except C
    (which would need a compiler: its capability is reported, its accuracy left out)."""
    from edgenn.evaluate.metrics import accuracy
    from edgenn.graph.quant import dequantize

    support = runner_support(name, data)
    scores: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "model.tflite" if is_tflite(data) else "model.onnx")
        path.write_bytes(data)
        for kind in support.runners:
            if kind == "c":
                continue
            with native_quiet():
                runner = runner_for(kind, path)
            scores[kind] = accuracy(dequantize(runner.predict(x), runner.output_quant), y)
    return VariantResult(name, len(data), support, scores)
