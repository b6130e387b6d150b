"""The static arena plan: where every activation lives, chosen at export time.

- RESHAPE and SQUEEZE outputs are views of their inputs: no bytes, no code.
- Elementwise ops (ADD, MUL, activations, SOFTMAX, int8 requantize) write over an input of the same
  size that dies at that op, when the kernel reads each element before writing it.
- Buffers whose lifetimes (in op order) overlap never share bytes. Offsets come from first-fit
  placement under several orderings; the smallest arena wins.
- The lower bound is the most bytes live at any one step under the same rules: no placement can
  do better.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edgenn.graph.tflite import Graph

ALIGN = 16
ALIAS_OPS = frozenset({"RESHAPE", "SQUEEZE"})
INPLACE_OPS = frozenset({"ADD", "MUL", "RELU", "RELU6", "LOGISTIC", "TANH", "SOFTMAX", "QUANTIZE"})


@dataclass
class Buffer:
    id: int
    size: int
    first: int  # step that writes it (-1: the model input, there before op 0)
    last: int  # last step that reads it (len(ops): a model output, read after the last op)
    tensors: list[int] = field(default_factory=list)
    offset: int = 0

    def overlaps(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class Plan:
    buffer_of: dict[int, int]  # tensor → buffer id
    buffers: dict[int, Buffer]
    arena_bytes: int
    lower_bound_bytes: int
    views: frozenset[int]  # op indices that need no code (their output is a view of the input)
    heuristic: str

    def offset(self, tensor: int) -> int:
        return self.buffers[self.buffer_of[tensor]].offset

    def live_bytes(self, step: int) -> int:
        return sum(b.size for b in self.buffers.values() if b.first <= step <= b.last)


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def _is_activation(graph: Graph, t: int) -> bool:
    return t >= 0 and graph.tensors[t].data is None


def _buffers(graph: Graph) -> tuple[dict[int, int], dict[int, Buffer], set[int]]:
    owner: dict[int, int] = {}
    buffers: dict[int, Buffer] = {}

    def new(t: int, step: int) -> None:
        owner[t] = len(buffers)
        buffers[owner[t]] = Buffer(owner[t], graph.tensors[t].nbytes, step, step, [t])

    def use(t: int, step: int) -> None:
        b = buffers[owner[t]]
        b.last = max(b.last, step)

    for t in graph.inputs:
        new(t, -1)
    views: set[int] = set()
    for step, op in enumerate(graph.ops):
        ins = [t for t in op.inputs if _is_activation(graph, t)]
        for t in ins:
            use(t, step)
        out = op.outputs[0]
        if op.name in ALIAS_OPS and ins and len(op.outputs) == 1:
            owner[out] = owner[op.inputs[0]]
            buffers[owner[out]].tensors.append(out)
            views.add(op.index)
            continue
        for t in op.outputs:
            new(t, step)
    end = len(graph.ops)
    for t in graph.outputs:
        use(t, end)
    return owner, buffers, views


def _in_place(graph: Graph, owner: dict[int, int], buffers: dict[int, Buffer]) -> None:
    """Merge an elementwise op's output into an input buffer that dies at that op."""
    outputs = {owner[t] for t in graph.outputs}
    for step, op in enumerate(graph.ops):
        if op.name not in INPLACE_OPS or len(op.outputs) != 1:
            continue
        out_t = op.outputs[0]
        out_b = buffers.get(owner.get(out_t, -1))
        if out_b is None or out_b.first != step:
            continue
        for t in op.inputs:
            if not _is_activation(graph, t):
                continue
            b = buffers[owner[t]]
            same = (
                graph.tensors[t].shape == graph.tensors[out_t].shape
                and graph.tensors[t].dtype == graph.tensors[out_t].dtype
            )
            if same and b.last == step and b.id not in outputs and b.size == out_b.size:
                b.last = out_b.last
                for moved in out_b.tensors:
                    owner[moved] = b.id
                b.tensors += out_b.tensors
                del buffers[out_b.id]
                break


def _first_fit(buffers: list[Buffer]) -> int:
    placed: list[Buffer] = []
    for b in buffers:
        clashes = sorted((p.offset, p.offset + p.size) for p in placed if p.overlaps(b))
        offset = 0
        for start, end in clashes:
            if offset + b.size <= start:
                break
            offset = max(offset, _align(end))
        b.offset = offset
        placed.append(b)
    return _align(max((b.offset + b.size for b in placed), default=0))


HEURISTICS = {
    "size": lambda b: (-b.size, b.first),
    "first use": lambda b: (b.first, -b.size),
    "lifetime": lambda b: (-(b.last - b.first), -b.size),
    "size x lifetime": lambda b: (-b.size * (b.last - b.first + 1), b.first),
}


def plan_arena(graph: Graph) -> Plan:
    owner, buffers, views = _buffers(graph)
    _in_place(graph, owner, buffers)
    best: tuple[int, str, dict[int, int]] | None = None
    for name, key in HEURISTICS.items():
        arena = _first_fit(sorted(buffers.values(), key=key))
        if best is None or arena < best[0]:
            best = (arena, name, {b.id: b.offset for b in buffers.values()})
    arena, name, offsets = best
    for b in buffers.values():
        b.offset = offsets[b.id]
    steps = range(-1, len(graph.ops) + 1)
    bound = max((sum(b.size for b in buffers.values() if b.first <= s <= b.last) for s in steps), default=0)
    return Plan(owner, buffers, arena, bound, frozenset(views), name)


def overlapping_pairs(plan: Plan) -> list[tuple[int, int]]:
    """Buffer pairs that are live at the same step and share bytes: must be empty."""
    bs = list(plan.buffers.values())
    bad = []
    for i, a in enumerate(bs):
        for b in bs[i + 1 :]:
            if a.overlaps(b) and a.offset < b.offset + b.size and b.offset < a.offset + a.size:
                bad.append((a.id, b.id))
    return bad
