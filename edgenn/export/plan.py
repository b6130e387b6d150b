"""The static arena plan: where every activation lives, chosen at export time.

Each op's own module says which of these rules apply to it (edgenn.reference.traits):

- An alias op's output (a reshape's, say) is a view of its input: no bytes, no code.
- An in-place op (elementwise ones, whose kernel reads each element before writing it) writes over
  an input of the same shape and dtype that dies at that op.
- A streaming op (a convolution or a depthwise one) writes its output over input it has already
  read: its input starts a few pixels' or rows' worth of bytes after its output, instead of beside
  it (the op's streaming_gap says how many, from the order its kernel writes in).
- Buffers whose lifetimes (in op order) overlap never share bytes. Offsets come from first-fit
  placement under several orderings; the smallest arena wins.
- The lower bound is the most bytes live at any one step under the same rules: no placement can
  do better.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edgenn.graph.tflite import Graph
from edgenn.reference import traits

ALIGN = 16


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
    sub_offset: dict[int, int]  # tensor → offset inside its buffer
    buffers: dict[int, Buffer]
    arena_bytes: int
    lower_bound_bytes: int
    views: frozenset[int]  # op indices that need no code (their output is a view of the input)
    heuristic: str
    streaming: frozenset[int] = frozenset()  # ops whose output overlaps their consumed input

    def offset(self, tensor: int) -> int:
        return self.buffers[self.buffer_of[tensor]].offset + self.sub_offset[tensor]

    def live_bytes(self, step: int) -> int:
        return sum(b.size for b in self.buffers.values() if b.first <= step <= b.last)


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def _is_activation(graph: Graph, t: int) -> bool:
    return t >= 0 and graph.tensors[t].data is None


def _buffers(graph: Graph) -> tuple[dict[int, int], dict[int, int], dict[int, Buffer], set[int]]:
    owner: dict[int, int] = {}
    sub: dict[int, int] = {}  # tensor → offset inside its buffer
    buffers: dict[int, Buffer] = {}

    def new(t: int, step: int) -> None:
        sub[t] = 0
        owner[t] = len(buffers)
        buffers[owner[t]] = Buffer(owner[t], graph.tensors[t].nbytes, step, step, [t])

    def use(t: int, step: int) -> None:
        b = buffers[owner[t]]
        b.last = max(b.last, step)

    for t in graph.inputs:
        new(t, -1)
    # State that no op produces and the model does not take as input (an SVDF's or an LSTM's
    # variable tensors) carries over from one run to the next: it is live throughout.
    produced = {t for op in graph.ops for t in op.outputs}
    state = [
        t
        for op in graph.ops
        for t in op.inputs
        if _is_activation(graph, t) and t not in produced and t not in graph.inputs and t not in owner
    ]
    for t in dict.fromkeys(state):
        new(t, -1)
    views: set[int] = set()
    for step, op in enumerate(graph.ops):
        ins = [t for t in op.inputs if _is_activation(graph, t)]
        for t in ins:
            use(t, step)
        out = op.outputs[0]
        if traits(op.name).alias and ins and len(op.outputs) == 1:
            owner[out] = owner[op.inputs[0]]
            sub[out] = sub[op.inputs[0]]
            buffers[owner[out]].tensors.append(out)
            views.add(op.index)
            continue
        for t in op.outputs:
            new(t, step)
    end = len(graph.ops)
    for t in (*graph.outputs, *dict.fromkeys(state)):
        use(t, end)
    return owner, sub, buffers, views


def _absorb(
    buffers: dict[int, Buffer],
    owner: dict[int, int],
    sub: dict[int, int],
    keep: Buffer,
    gone: Buffer,
    shift_kept: int,
    gone_at: int,
    size: int,
) -> None:
    """Fold buffer `gone` into `keep`: keep's tensors move up by shift_kept, gone's sit at gone_at."""
    for t in keep.tensors:
        sub[t] += shift_kept
    for t in gone.tensors:
        owner[t] = keep.id
        sub[t] += gone_at
    keep.tensors += gone.tensors
    keep.size = size
    keep.first, keep.last = min(keep.first, gone.first), max(keep.last, gone.last)
    del buffers[gone.id]


def streaming_gap(graph: Graph, op) -> int | None:
    """Bytes by which op's input 0 must start after its output so that writing the output in order
    never overwrites input still to be read; None for an op that cannot share bytes that way."""
    return traits(op.name).streaming_gap(graph, op)


def _merge(
    graph: Graph, owner: dict[int, int], sub: dict[int, int], buffers: dict[int, Buffer], streaming: frozenset[int]
) -> None:
    """Let an op's output share bytes with an input buffer that dies at that op, where it is safe:
    an in-place op writes over an input of the same shape; a streaming op writes its output over
    input it has already read."""
    outputs = {owner[t] for t in graph.outputs}
    for step, op in enumerate(graph.ops):
        if len(op.outputs) != 1 or op.outputs[0] not in owner:
            continue
        out_t = op.outputs[0]
        out_b = buffers[owner[out_t]]
        if out_b.first != step or len(out_b.tensors) != 1:
            continue
        gap = streaming_gap(graph, op) if op.index in streaming else None
        for t in op.inputs:
            if not _is_activation(graph, t):
                continue
            b = buffers[owner[t]]
            if b.id == out_b.id or b.last != step or b.id in outputs:
                continue
            src, dst = graph.tensors[t], graph.tensors[out_t]
            if traits(op.name).in_place and src.shape == dst.shape and src.dtype == dst.dtype:
                _absorb(buffers, owner, sub, b, out_b, 0, sub[t], b.size)
                break
            if gap is not None and t == op.inputs[0]:
                shift = max(0, gap - sub[t])  # the input tensor must start `gap` bytes after the output
                _absorb(buffers, owner, sub, b, out_b, shift, 0, max(out_b.size, shift + b.size))
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


def _plan(graph: Graph, streaming: frozenset[int]) -> Plan:
    owner, sub, buffers, views = _buffers(graph)
    _merge(graph, owner, sub, buffers, streaming)
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
    return Plan(owner, sub, buffers, arena, bound, frozenset(views), name, streaming)


def plan_arena(graph: Graph) -> Plan:
    """The smallest arena found. A streaming op's output makes one buffer of its input and output
    for both lifetimes, which can cost more elsewhere, so each is kept only where it helps."""
    able = frozenset(op.index for op in graph.ops if streaming_gap(graph, op) is not None)
    # Two layers that stream back to back (a depthwise then a pointwise convolution) may lower the peak
    # only together: start from the better of none and all, then toggle one op at a time.
    best = min((_plan(graph, frozenset()), _plan(graph, able)), key=lambda p: p.arena_bytes)
    for index in sorted(able):
        trial = _plan(graph, best.streaming ^ {index})
        if trial.arena_bytes < best.arena_bytes:
            best = trial
    return best


def overlapping_pairs(plan: Plan) -> list[tuple[int, int]]:
    """Buffer pairs that are live at the same step and share bytes: must be empty."""
    bs = list(plan.buffers.values())
    bad = []
    for i, a in enumerate(bs):
        for b in bs[i + 1 :]:
            if a.overlaps(b) and a.offset < b.offset + b.size and b.offset < a.offset + a.size:
                bad.append((a.id, b.id))
    return bad


def violations(graph: Graph, plan: Plan) -> list[str]:
    """Tensor pairs that are live at the same step and share arena bytes without a rule allowing it.

    Allowed: a view and its source (same bytes); an in-place op's output over the input that dies
    there (same offset); a streaming op's output over its input when the input starts at least
    `streaming_gap` bytes after the output.
    """
    spans: dict[int, list[int]] = {t: [-1, -1] for t in graph.inputs}
    for step, op in enumerate(graph.ops):
        for t in op.inputs:
            if _is_activation(graph, t):
                spans[t][1] = step
        for t in op.outputs:
            spans.setdefault(t, [step, step])
    for t in graph.outputs:
        spans[t][1] = len(graph.ops)
    allowed: set[tuple[int, int]] = set()
    for op in graph.ops:
        outs = [t for t in op.outputs if t in spans]
        for o in outs:
            for i in op.inputs:
                if not _is_activation(graph, i):
                    continue
                if op.index in plan.views or (traits(op.name).in_place and plan.offset(i) == plan.offset(o)):
                    allowed |= {(i, o), (o, i)}
                elif op.index in plan.streaming and i == op.inputs[0]:
                    if plan.offset(i) - plan.offset(o) >= streaming_gap(graph, op):
                        allowed |= {(i, o), (o, i)}
    # Views share a buffer for their whole life: treat view chains as one tensor.
    bad = []
    tensors = sorted(spans)
    for n, a in enumerate(tensors):
        for b in tensors[n + 1 :]:
            (a0, a1), (b0, b1) = spans[a], spans[b]
            if a1 < b0 or b1 < a0 or (a, b) in allowed:
                continue
            if (
                plan.buffer_of[a] == plan.buffer_of[b]
                and plan.offset(a) == plan.offset(b)
                and any(
                    op.index in plan.views and a in op.inputs + op.outputs and b in op.inputs + op.outputs
                    for op in graph.ops
                )
            ):
                continue
            sa, sb = graph.tensors[a].nbytes, graph.tensors[b].nbytes
            oa, ob = plan.offset(a), plan.offset(b)
            if oa < ob + sb and ob < oa + sa:
                bad.append(f"tensors {a} [{oa}, {oa + sa}) and {b} [{ob}, {ob + sb}) overlap while both live")
    return bad


def memory_order(graph: Graph) -> tuple:
    """A topological op order that keeps live bytes low: among the ops ready to run, the one that
    allocates least net of what it frees goes first (file order breaks ties)."""
    produced = set(graph.inputs) | {t.index for t in graph.tensors if t.data is not None}
    readers: dict[int, int] = {}
    for op in graph.ops:
        for t in set(op.inputs):
            if _is_activation(graph, t):
                readers[t] = readers.get(t, 0) + 1
    keep = set(graph.outputs)
    pending = list(graph.ops)
    order = []
    while pending:
        ready = [op for op in pending if all(t < 0 or t in produced for t in op.inputs)]
        if not ready:
            return tuple(graph.ops)  # not a DAG in file order terms: leave it as it is

        def net(op):
            freed = sum(
                graph.tensors[t].nbytes
                for t in set(op.inputs)
                if _is_activation(graph, t) and readers.get(t) == 1 and t not in keep
            )
            return sum(graph.tensors[t].nbytes for t in op.outputs) - freed

        op = min(ready, key=lambda o: (net(o), o.index))
        order.append(op)
        pending.remove(op)
        produced.update(op.outputs)
        for t in set(op.inputs):
            if t in readers:
                readers[t] -= 1
    return tuple(order)


def plan_schedule(graph: Graph) -> tuple[Graph, Plan]:
    """The op order (file order or memory-aware) and plan with the smaller arena."""
    from dataclasses import replace

    best = (graph, plan_arena(graph))
    order = memory_order(graph)
    if order != graph.ops:
        reordered = replace(graph, ops=order)
        plan = plan_arena(reordered)
        if plan.arena_bytes < best[1].arena_bytes:
            best = (reordered, plan)
    return best
