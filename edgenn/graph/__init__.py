"""Read model files into one typed graph: tensors with shapes and quantization, ops in order."""

from edgenn.graph.tflite import Graph, Op, Tensor, read_tflite

__all__ = ["Graph", "Op", "Tensor", "read_tflite"]
