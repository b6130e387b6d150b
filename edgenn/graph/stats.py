"""Per-op counts read off a graph: multiply-accumulates for the ops that do them."""

from __future__ import annotations

import numpy as np

from edgenn.graph.tflite import Graph, Op


def op_macs(graph: Graph, op: Op) -> int:
    out = graph.tensors[op.outputs[0]]
    if op.name == "CONV_2D":
        w = graph.tensors[op.inputs[1]]  # [out_c, kh, kw, in_c]
        return int(np.prod(out.shape)) * int(np.prod(w.shape[1:]))
    if op.name == "DEPTHWISE_CONV_2D":
        w = graph.tensors[op.inputs[1]]  # [1, kh, kw, out_c]
        return int(np.prod(out.shape)) * w.shape[1] * w.shape[2]
    if op.name == "FULLY_CONNECTED":
        w = graph.tensors[op.inputs[1]]  # [out, in]
        return int(np.prod(out.shape)) * w.shape[-1]
    return 0


def macs(graph: Graph) -> int:
    return sum(op_macs(graph, op) for op in graph.ops)
