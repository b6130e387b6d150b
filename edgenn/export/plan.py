"""A static arena plan: every activation tensor gets an offset; tensors alive at once never overlap.

Lifetimes follow the op order. Offsets are chosen greedily, largest tensor first, each at the
lowest offset that does not collide with an already placed tensor whose lifetime overlaps.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgenn.graph.tflite import Graph

ALIGN = 16


@dataclass(frozen=True)
class Placement:
    tensor: int
    offset: int
    size: int
    first: int  # index of the step that writes it (-1: the model input, copied in before op 0)
    last: int  # index of the last step that reads it (len(ops): the model output, copied out)


@dataclass(frozen=True)
class Plan:
    placements: dict[int, Placement]
    arena_bytes: int

    def offset(self, tensor: int) -> int:
        return self.placements[tensor].offset


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def lifetimes(graph: Graph) -> dict[int, tuple[int, int]]:
    """Tensor index → (first step, last step) for every non-constant tensor the ops touch."""
    spans: dict[int, list[int]] = {}
    for i in graph.inputs:
        spans[i] = [-1, -1]
    for step, op in enumerate(graph.ops):
        for t in op.outputs:
            spans.setdefault(t, [step, step])
        for t in op.inputs:
            if t >= 0 and graph.tensors[t].data is None:
                spans.setdefault(t, [step, step])[1] = step
    for o in graph.outputs:
        spans[o][1] = len(graph.ops)
    return {t: (a, b) for t, (a, b) in spans.items()}


def plan_arena(graph: Graph) -> Plan:
    spans = lifetimes(graph)
    order = sorted(spans, key=lambda t: (-graph.tensors[t].nbytes, spans[t][0]))
    placed: list[Placement] = []
    for t in order:
        size = graph.tensors[t].nbytes
        first, last = spans[t]
        clashes = sorted((p.offset, p.offset + p.size) for p in placed if p.first <= last and first <= p.last)
        offset = 0
        for start, end in clashes:
            if offset + size <= start:
                break
            offset = max(offset, _align(end))
        placed.append(Placement(t, offset, size, first, last))
    arena = _align(max((p.offset + p.size for p in placed), default=0))
    return Plan({p.tensor: p for p in placed}, arena)
