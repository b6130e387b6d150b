"""Keras/TFLite → ONNX (tf2onnx) and float ONNX → int8 QDQ ONNX (onnxruntime.quantization)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

OPSET = 17


def from_function(fn) -> bytes:
    """Float ONNX from the serving tf.function (tf2onnx's from_keras does not handle Keras 3)."""
    import tf2onnx

    proto, _ = tf2onnx.convert.from_function(fn, input_signature=fn.input_signature, opset=OPSET)
    return proto.SerializeToString()


def from_tflite(tflite_path: Path) -> bytes:
    """ONNX that reproduces the int8 TFLite graph, so onnxruntime can emulate it."""
    import tf2onnx

    proto, _ = tf2onnx.convert.from_tflite(str(tflite_path), opset=OPSET)
    return proto.SerializeToString()


def quantize_qdq(float_onnx: bytes, calib: np.ndarray, calibration: str = "MinMax", per_channel: bool = True) -> bytes:
    """Static int8 QDQ quantization (int8 weights and activations, float I/O).

    Args:
        calibration: an onnxruntime.quantization.CalibrationMethod member name (MinMax, Entropy, Percentile).
        per_channel: one weight scale per output channel, else one per tensor.
    """
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    input_name = onnx.load_from_string(float_onnx).graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self):
            self._it = iter(calib)

        def get_next(self):
            sample = next(self._it, None)
            return None if sample is None else {input_name: sample[np.newaxis].astype(np.float32)}

    with tempfile.TemporaryDirectory() as tmp:
        src, pre, out = Path(tmp, "float.onnx"), Path(tmp, "pre.onnx"), Path(tmp, "int8.onnx")
        src.write_bytes(float_onnx)
        quant_pre_process(str(src), str(pre))  # shape inference + graph optimisation (folds BN)
        quantize_static(
            str(pre),
            str(out),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=per_channel,
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod[calibration],
        )
        return out.read_bytes()
