"""Run a whole int8 graph with the NumPy reference kernels: the oracle for the generated C."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import NUMPY_DTYPES, Graph, Op, schema
from edgenn.reference import kernel_for, require_ops, traits
from edgenn.reference.base import OpContext


@dataclass(frozen=True)
class Prepared:
    op: Op
    module: object
    params: object


def check_graph(graph: Graph) -> None:
    """One subgraph, one input and one output: what the generated entry point serves."""
    where = graph.path or "<model>"
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise UnsupportedError(
            where,
            f"models with {len(graph.inputs)} inputs and {len(graph.outputs)} outputs are not supported (one of each)",
        )
    # int16 is the I/O of int16x8 models (and of TFLM's keyword_scrambled); an int32 output is what a
    # model ending in ARG_MAX or ARG_MIN gives (indices), or a QUANTIZE to int32.
    for t, allowed in (
        (graph.input_tensor(), ("int8", "int16", "float32")),
        (graph.output_tensor(), ("int8", "int16", "float32", "int32")),
    ):
        if t.dtype not in allowed:
            raise UnsupportedError(
                where,
                f"{t.dtype} model {'input' if t is graph.input_tensor() else 'output'} "
                f"(tensor {t.index}) is not supported ({', '.join(allowed)} only)",
            )


def _with_options(graph: Graph, op: Op) -> Op:
    """The op, its options table checked to be of the type its module reads (the schema lets a file
    pair any), or its defaults where the file has none (as TFLM reads a missing table)."""
    expected = traits(op.name).tflite_options
    if expected is None:
        return op
    if op.options is None:
        return replace(op, options=getattr(schema, f"{expected}T")())
    found = type(op.options).__name__.removesuffix("T")
    if found != expected:
        where = graph.path or "<model>"
        raise UnsupportedError(where, f"op {op.index} ({op.name}): options are {found}, not {expected}")
    return op


def prepare(graph: Graph, need_c: bool = False) -> list[Prepared]:
    """Check every op up front (one error names every unsupported op) and compute its parameters;
    with need_c, also refuse what the generated C cannot run."""
    where = graph.path or "<model>"
    require_ops(graph.op_names, where, need_c)
    modules = [kernel_for(graph, op, where, need_c) for op in graph.ops]
    check_graph(graph)
    ops = [_with_options(graph, op) for op in graph.ops]
    return [Prepared(op, m, _prepare_op(graph, op, m, need_c)) for op, m in zip(ops, modules, strict=True)]


def _prepare_op(graph: Graph, op: Op, module, need_c: bool):
    """module.prepare, whose checks name what they refuse. The file is hostile input: a shape or type
    combination no check foresaw still ends as one UnsupportedError naming the op, not a traceback."""
    ctx = OpContext(graph, op, need_c)
    try:
        return module.prepare(ctx)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError, ZeroDivisionError, OverflowError) as e:
        raise ctx.fail(f"malformed for this op ({type(e).__name__}: {e})") from e


def run(graph: Graph, x: np.ndarray, prepared: list[Prepared] | None = None) -> np.ndarray:
    """Run one input (with its batch axis) through the graph; returns the output tensor."""
    return run_all(graph, x, prepared)[graph.outputs[0]]


def run_all(graph: Graph, x: np.ndarray, prepared: list[Prepared] | None = None) -> dict[int, np.ndarray]:
    """Run one input (with its batch axis) through the graph; returns every tensor's value by tensor index.

    The constants, the input and each op's output, as the kernels computed them: what `edgenn validate`
    compares layer by layer. No kernel writes into its inputs, so earlier values stay as they were made.
    """
    prepared = prepared if prepared is not None else prepare(graph)
    values: dict[int, np.ndarray] = {t.index: t.data for t in graph.tensors if t.data is not None}
    values[graph.inputs[0]] = np.asarray(x).reshape(graph.input_tensor().shape)
    for p in prepared:
        op = p.op
        inputs = [values.get(i) if i >= 0 else None for i in op.inputs]
        out = p.module.run(p.params, inputs)
        # An op with several outputs (SPLIT, UNPACK, ...) returns a tuple, one array per output.
        outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if len(outs) != len(op.outputs):
            raise AssertionError(f"{op.name} (op {op.index}) produced {len(outs)} outputs, not {len(op.outputs)}")
        for index, value in zip(op.outputs, outs, strict=True):
            t = graph.tensors[index]
            expected = np.dtype(NUMPY_DTYPES[t.dtype])
            if value.shape != t.shape or value.dtype != expected:
                raise AssertionError(
                    f"{op.name} (op {op.index}) produced {value.shape} {value.dtype}, not {t.shape} {expected}"
                )
            values[index] = value
    return values
