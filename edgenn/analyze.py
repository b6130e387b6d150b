"""`edgenn analyze`: where a model's flash, RAM and MACs go, layer by layer.

RAM is the planned arena of the generated C (the input and output live inside it) plus anything
else the model's objects keep in .data/.bss; flash is the compiled model objects' text + data
(weights, biases, per-channel quantization constants, kernel code), measured by compiling the
generated C. TFLM's arena for the same model is measured with its recording allocator.

A model with ops the C backend lacks still gets every figure that does not need its C: each layer's
shape, parameters, MACs, activation and live bytes under the same planner, the unknown ops named
together, and the whole model as the C-array route runs it (TFLM's measured arena, the .tflite plus
TFLM's runtime estimate as flash).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from edgenn import layout, toolchain
from edgenn.errors import EdgeNNError
from edgenn.evaluate.footprint import TFLM_RUNTIME_BYTES
from edgenn.evaluate.runners import TFLMRunner
from edgenn.export.codegen import generate
from edgenn.export.plan import Plan, plan_schedule
from edgenn.export.stream import describe
from edgenn.graph.tflite import Graph, Op, parse_tflite
from edgenn.isolate import fork_is_safe
from edgenn.reference import missing_ops, op_macs, traits
from edgenn.reference.base import CONSTANT_KINDS

SCHEMA = 1


def _params(graph: Graph, op: Op) -> int:
    """Learned values among the op's constant inputs: int8 weights, and the int32 constants of an op
    that has biases (other int32 constants, such as axes or paddings, are not learned)."""
    has_biases = "biases" in traits(op.name).constants
    return sum(
        int(np.prod(graph.tensors[t].shape))
        for t in op.inputs
        if t >= 0 and graph.tensors[t].data is not None and (graph.tensors[t].dtype == "int8" or has_biases)
    )


def layers(gen) -> list[dict]:
    """Per-layer figures of generated C (`edgenn.export.codegen.generate`), in the order the code runs
    the layers: MACs, parameters, activation bytes, bytes live in the arena, bytes of constants."""
    consts: dict[int, int] = {}
    for op_index, _, _, nbytes in gen.const_items:
        consts[op_index] = consts.get(op_index, 0) + nbytes
    table = _layers(gen.graph, gen.plan, consts)
    for layer, op in zip(table, gen.graph.ops, strict=True):
        packed = gen.packings.get(op.index)
        if packed is not None:
            layer["weights"] = packed.describe(op.index)
            del layer["weights"]["op"]
            continue
        dense = sum(
            gen.graph.tensors[t].nbytes
            for t in dict.fromkeys(op.inputs)
            if t >= 0 and gen.graph.tensors[t].data is not None and gen.graph.tensors[t].dtype == "int8"
        )
        if dense:
            layer["weights"] = {"encoding": "dense", "bytes": dense, "dense_bytes": dense}
    return table


def _layers(graph: Graph, plan: Plan, consts: dict[int, int]) -> list[dict]:
    out = []
    for step, op in enumerate(graph.ops):
        t = graph.tensors[op.outputs[0]]
        out.append(
            {
                "index": op.index,
                "op": op.name,
                "name": t.name,
                "output_shape": list(t.shape),
                "params": _params(graph, op),
                "macs": op_macs(graph, op),
                "activation_bytes": t.nbytes,
                "live_bytes": plan.live_bytes(step),
                "const_bytes": consts.get(op.index, 0),
                "shares_input_bytes": op.outputs[0] in plan.buffer_of
                and any(plan.buffer_of.get(i) == plan.buffer_of[op.outputs[0]] for i in op.inputs if i >= 0),
                "chain": next((n for n, c in enumerate(plan.chains) if op.index in c.ops), None),
            }
        )
    return out


def analyze(
    target: Path,
    build_target: str | None = None,
    ram_budget: int | None = None,
    compress: str = "auto",
    optimize: str = "speed",
) -> dict:
    """Per-layer and total footprint of `target` (a build directory or a .tflite), planned, packed and
    built as `edgenn codegen` does it (with `ram_budget`, `compress` and `optimize`, as its options)."""
    tflite, name = layout.resolve_model(target)
    data = tflite.read_bytes()
    graph = parse_tflite(data, tflite)
    missing = missing_ops(graph.op_names, need_c=True)
    if missing:
        return _without_c(graph, name, tflite, data, missing)
    gen = generate(graph, name, "edgenn analyze", ram_budget=ram_budget, compress=compress, optimize=optimize)
    plan, graph = gen.plan, gen.graph  # layers in the order the generated code runs them

    totals = {k: 0 for k in CONSTANT_KINDS}
    for _, _, kind, nbytes in gen.const_items:
        totals[kind] = totals.get(kind, 0) + nbytes
    table = layers(gen)

    measured_on = build_target or toolchain.device_target()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "c"
        for rel, text in gen.files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
        built = toolchain.build(folder, measured_on)
    tflm = TFLMRunner(tflite).arena_bytes()
    return {
        "schema": SCHEMA,
        "model": name,
        "source_sha256": graph.sha256,
        "tflite_bytes": len(data),
        "measured_on": measured_on,
        "flash_bytes": built.flash_bytes,
        "flash": {**totals, "code": built.flash_bytes - gen.const_bytes},
        "ram_bytes": built.ram_bytes,
        "ram": {"arena": plan.arena_bytes, "other": built.ram_bytes - plan.arena_bytes},
        "ram_lower_bound_bytes": plan.lower_bound_bytes,
        "layerwise_lower_bound_bytes": plan.layerwise_bound_bytes,
        "chains": [describe(c, graph) for c in plan.chains],
        "tflm_arena_bytes": tflm,
        "macs": sum(layer["macs"] for layer in table),
        "planner": plan.heuristic,
        "route": "c",
        "unsupported_ops": [],
        "layers": table,
    }


def _without_c(graph: Graph, name: str, tflite: Path, data: bytes, missing: list[str]) -> dict:
    """What `analyze` gives for a model whose C cannot be generated: the layers from the graph and the
    arena plan, and the totals of the C-array route (the .tflite run by TFLM)."""
    graph, plan = plan_schedule(graph)
    consts = {
        op.index: sum(
            graph.tensors[t].nbytes for t in dict.fromkeys(op.inputs) if t >= 0 and graph.tensors[t].data is not None
        )
        for op in graph.ops
    }
    table = _layers(graph, plan, consts)
    for layer, op in zip(table, graph.ops, strict=True):
        layer["supported"] = op.name not in missing
    # edgenn cannot validate an op it lacks, so TFLM sees such a model only in a forked child, where
    # a crash on a hostile file is an error; in a process that cannot fork safely there is no figure.
    tflm = None
    if fork_is_safe():
        try:
            tflm = TFLMRunner(tflite).arena_bytes()
        except EdgeNNError:  # TFLM lacks an op too, or fails on it
            tflm = None
    return {
        "schema": SCHEMA,
        "model": name,
        "source_sha256": graph.sha256,
        "tflite_bytes": len(data),
        "measured_on": "tflm",
        "flash_bytes": len(data) + TFLM_RUNTIME_BYTES,
        "flash": {"model_file": len(data), "code": TFLM_RUNTIME_BYTES},
        "ram_bytes": tflm,
        "ram": {"arena": tflm, "other": 0},
        "ram_lower_bound_bytes": plan.lower_bound_bytes,
        "layerwise_lower_bound_bytes": plan.layerwise_bound_bytes,
        "chains": [describe(c, graph) for c in plan.chains],
        "tflm_arena_bytes": tflm,
        "macs": sum(layer["macs"] for layer in table),
        "planner": plan.heuristic,
        "route": "tflm",
        "unsupported_ops": missing,
        "layers": table,
    }
