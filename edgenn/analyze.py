"""`edgenn analyze`: where a model's flash, RAM and MACs go, layer by layer.

RAM is the planned arena of the generated C (the input and output live inside it) plus anything
else the model's objects keep in .data/.bss; flash is the compiled model objects' text + data
(weights, biases, per-channel quantization constants, kernel code), measured by compiling the
generated C. TFLM's arena for the same model is measured with its recording allocator.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from edgenn import layout, toolchain
from edgenn.evaluate.runners import TFLMRunner
from edgenn.export.codegen import generate
from edgenn.graph.tflite import Graph, Op, parse_tflite
from edgenn.reference import op_macs, traits
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
    plan, graph = gen.plan, gen.graph
    consts: dict[int, int] = {}
    for op_index, _, _, nbytes in gen.const_items:
        consts[op_index] = consts.get(op_index, 0) + nbytes
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
                "shares_input_bytes": any(
                    plan.buffer_of.get(i) == plan.buffer_of.get(op.outputs[0]) for i in op.inputs if i >= 0
                ),
            }
        )
    return out


def analyze(target: Path, build_target: str | None = None) -> dict:
    """Per-layer and total footprint of `target` (a build directory or a .tflite)."""
    tflite, name = layout.resolve_model(target)
    data = tflite.read_bytes()
    graph = parse_tflite(data, tflite)
    gen = generate(graph, name, "edgenn analyze")
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
        "tflm_arena_bytes": tflm,
        "macs": sum(layer["macs"] for layer in table),
        "planner": plan.heuristic,
        "layers": table,
    }
