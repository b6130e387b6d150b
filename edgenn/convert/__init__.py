"""`edgenn convert`: a trained Keras model to float and int8 TFLite, float and int8 ONNX."""

from edgenn.convert.pipeline import ARTIFACTS, convert

__all__ = ["ARTIFACTS", "convert"]
