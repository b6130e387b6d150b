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

from dataclasses import dataclass, field, replace

from edgenn.errors import EdgeNNError
from edgenn.export.stream import OUTPUT, Chain, can_start, make_chain, overwrites, place, runs, with_capacity
from edgenn.graph.tflite import Graph
from edgenn.reference import traits

ALIGN = 16
# The planner's estimate of what a chain adds (the profiler measures it): instructions per kernel call
# for one row, and per byte a window moves.
CALL_COST = 120
MOVE_COST = 1


@dataclass
class Buffer:
    id: int
    size: int
    first: int  # step that writes it (-1: the model input, there before op 0)
    last: int  # last step that reads it (len(ops): a model output, read after the last op)
    tensors: list[int] = field(default_factory=list)
    offset: int = 0
    # (offset in the buffer, bytes, first step, last step) of each tensor in it: a merged buffer's
    # tensors live at different times, and what is dead in it at a step can hold another buffer's
    parts: list[tuple[int, int, int, int]] = field(default_factory=list)

    def overlaps(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last

    def live_bytes(self, step: int) -> int:
        """Bytes of the buffer live at `step`: the union of its live tensors' ranges."""
        spans = sorted((at, at + n) for at, n, first, last in self.parts if first <= step <= last)
        total, end = 0, None
        for lo, hi in spans:
            if end is None or lo >= end:
                total += hi - lo
                end = hi
            elif hi > end:
                total += hi - end
                end = hi
        return total


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
    chains: tuple[Chain, ...] = ()  # row-streamed chains (edgenn/export/stream.py)
    layerwise_bound_bytes: int = 0  # the lower bound when every layer runs on whole tensors

    def offset(self, tensor: int) -> int:
        return self.buffers[self.buffer_of[tensor]].offset + self.sub_offset[tensor]

    def window_offset(self, chain: int, stage: int) -> int:
        """Where stage `stage` (1 on) of chain `chain` keeps its window."""
        return self.offset(window_id(chain, stage))

    @property
    def chained(self) -> frozenset[int]:
        """Ops inside a chain."""
        return frozenset(i for c in self.chains for i in c.ops)

    @property
    def extra_cost(self) -> int:
        """What the chains add to an inference, in instructions, as the planner estimates it."""
        return sum(c.calls * CALL_COST + c.moved_bytes * MOVE_COST for c in self.chains)

    def live_bytes(self, step: int) -> int:
        return sum(b.live_bytes(step) for b in self.buffers.values() if b.first <= step <= b.last)


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def _is_activation(graph: Graph, t: int) -> bool:
    return t >= 0 and graph.tensors[t].data is None


def window_id(chain: int, stage: int) -> int:
    """The key of a chain's window in Plan.buffer_of and sub_offset: below every tensor index (and -1)."""
    return -2 - chain * 1024 - stage


def _steps(graph: Graph, chain: Chain) -> tuple[int, int]:
    at = {op.index: step for step, op in enumerate(graph.ops)}
    return at[chain.ops[0]], at[chain.ops[-1]]


def _buffers(
    graph: Graph, chains: tuple[Chain, ...] = ()
) -> tuple[dict[int, int], dict[int, int], dict[int, Buffer], set[int], dict]:
    """Buffers and lifetimes, and each tensor's (bytes, first step, last step). A chain's input is live
    until its last op, its output from its first; the tensors inside it get no bytes, its windows one
    buffer for its steps, and its ops' side tensors (Graph.side) one more, which they share: each call
    of a stage fills its side tensor before it reads it."""
    first_of = {c.ops[0]: n for n, c in enumerate(chains)}
    op_at = {op.index: op for op in graph.ops}
    inside = {i for c in chains for i in c.ops[1:]}
    life: dict[int, list[int]] = {}  # tensor (or window) → [first step, last step]
    size: dict[int, int] = {}  # window → bytes
    owner: dict[int, int] = {}
    sub: dict[int, int] = {}  # tensor → offset inside its buffer
    buffers: dict[int, Buffer] = {}

    def new(t: int, step: int) -> None:
        sub[t] = 0
        owner[t] = len(buffers)
        buffers[owner[t]] = Buffer(owner[t], graph.tensors[t].nbytes, step, step, [t])
        life[t] = [step, step]

    def use(t: int, step: int) -> None:
        b = buffers[owner[t]]
        b.last = max(b.last, step)
        life[t][1] = max(life[t][1], step)

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
        if op.index in inside:
            continue
        if op.index in first_of:
            n = first_of[op.index]
            c = chains[n]
            _, end = _steps(graph, c)
            for t in (c.input, *c.sides):
                use(t, end)
            new(c.output, step)
            ids = [window_id(n, k) for k in range(1, len(c.stages))]
            buffers[len(buffers)] = Buffer(len(buffers), c.scratch_bytes, step, end, ids)
            for k, w in enumerate(ids, start=1):
                owner[w], sub[w], life[w], size[w] = len(buffers) - 1, c.windows[k], [step, end], c.window_size(k)
            side = [t for i in c.ops for t in op_at[i].outputs if t in graph.side]
            if side:
                shared = Buffer(len(buffers), max(graph.tensors[t].nbytes for t in side), step, end, side)
                buffers[shared.id] = shared
                for t in side:
                    owner[t], sub[t], life[t] = shared.id, 0, [step, end]
            continue
        ins = [t for t in op.inputs if _is_activation(graph, t)]
        for t in ins:
            use(t, step)
        out = op.outputs[0]
        if traits(op.name).alias and ins and len(op.outputs) == 1:
            owner[out] = owner[op.inputs[0]]
            sub[out] = sub[op.inputs[0]]
            buffers[owner[out]].tensors.append(out)
            life[out] = [step, step]
            views.add(op.index)
            continue
        for t in op.outputs:
            new(t, step)
    end = len(graph.ops)
    for t in (*graph.outputs, *dict.fromkeys(state)):
        use(t, end)
    # A view is read where its source is; keep the source's bytes live as long as the view's.
    for t, (first, last) in list(life.items()):
        if t >= 0:
            for u in buffers[owner[t]].tensors:
                if u != t and sub[u] == sub[t] and u in life and life[u][0] <= first <= life[u][1]:
                    life[u][1] = max(life[u][1], last)
    lives = {t: (size[t] if t < 0 else graph.tensors[t].nbytes, *life[t]) for t in life}
    return owner, sub, buffers, views, lives


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
    never overwrites input still to be read; None for an op that cannot share bytes that way, or that
    writes a second output (a packed layer's unpacked weights: it reads its input once per group of
    channels). A side tensor (Graph.side) does not count."""
    if len(graph.results(op)) != 1:
        return None
    return traits(op.name).streaming_gap(graph, op)


def _merge(
    graph: Graph,
    owner: dict[int, int],
    sub: dict[int, int],
    buffers: dict[int, Buffer],
    streaming: frozenset[int],
    chains: tuple[Chain, ...] = (),
) -> None:
    """Let an op's output share bytes with an input buffer that dies at that op, where it is safe:
    an in-place op writes over an input of the same shape; a streaming op writes its output over
    input it has already read, and so does a chain."""
    outputs = {owner[t] for t in graph.outputs}
    first_of = {c.ops[0]: n for n, c in enumerate(chains)}
    inside = {i for c in chains for i in c.ops[1:]}
    for step, op in enumerate(graph.ops):
        if op.index in inside:
            continue
        if op.index in first_of:
            n = first_of[op.index]
            c = chains[n]
            _, end = _steps(graph, c)
            b, out_b = buffers[owner[c.input]], buffers[owner[c.output]]
            if b.last == end and b.id not in outputs and len(out_b.tensors) == 1 and b.id != out_b.id:
                if c.windows_over_input:
                    _merge_chain(buffers, owner, sub, b, out_b, buffers[owner[window_id(n, 1)]], c, n)
                else:
                    shift = max(0, c.gap - sub[c.input])  # the output over the input, as a streaming op's
                    _absorb(buffers, owner, sub, b, out_b, shift, 0, max(out_b.size, shift + b.size))
            continue
        if len(graph.results(op)) != 1 or op.outputs[0] not in owner:
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


def _merge_chain(
    buffers: dict[int, Buffer],
    owner: dict[int, int],
    sub: dict[int, int],
    keep: Buffer,
    out_b: Buffer,
    scratch: Buffer,
    chain: Chain,
    n: int,
) -> None:
    """A chain whose input dies with it: its output and its windows go over the input it has read
    (stream.place), and below it where they must; one buffer holds all three."""
    at = place(chain)
    x = chain.input
    shift = max(0, -min(0, *at.values()) - sub[x])
    for t in keep.tensors:
        sub[t] += shift
    size = keep.size + shift
    for block, nbytes in chain.block_sizes().items():
        t = chain.output if block == OUTPUT else window_id(n, block)
        owner[t] = keep.id
        sub[t] = sub[x] + at[block]
        size = max(size, sub[t] + nbytes)
    keep.tensors += out_b.tensors + scratch.tensors
    keep.size = size
    keep.first = min(keep.first, out_b.first, scratch.first)
    keep.last = max(keep.last, out_b.last, scratch.last)
    del buffers[out_b.id], buffers[scratch.id]


def _first_fit(buffers: list[Buffer]) -> int:
    """Each buffer at the lowest aligned offset where none of its tensors shares bytes with a tensor
    of a placed buffer that is live at the same step."""
    placed: list[Buffer] = []
    for b in buffers:
        banned = []  # offsets [lo, hi) that b may not take
        for p in placed:
            if not p.overlaps(b):
                continue
            for sa, na, fa, la in b.parts:
                for sp, np_, fp, lp in p.parts:
                    if fa <= lp and fp <= la:
                        banned.append((p.offset + sp - sa - na + 1, p.offset + sp + np_ - sa))
        offset = 0
        while any(lo <= offset < hi for lo, hi in banned):
            offset = _align(max(hi for lo, hi in banned if lo <= offset < hi))
        b.offset = offset
        placed.append(b)
    return _align(max((b.offset + b.size for b in placed), default=0))


HEURISTICS = {
    "size": lambda b: (-b.size, b.first),
    "first use": lambda b: (b.first, -b.size),
    "lifetime": lambda b: (-(b.last - b.first), -b.size),
    "size x lifetime": lambda b: (-b.size * (b.last - b.first + 1), b.first),
}


def _plan(graph: Graph, streaming: frozenset[int], chains: tuple[Chain, ...] = ()) -> Plan:
    owner, sub, buffers, views, lives = _buffers(graph, chains)
    _merge(graph, owner, sub, buffers, streaming, chains)
    for b in buffers.values():
        b.parts = [(sub[t], *lives[t]) for t in b.tensors if t in lives]
    best: tuple[int, str, dict[int, int]] | None = None
    for name, key in HEURISTICS.items():
        arena = _first_fit(sorted(buffers.values(), key=key))
        if best is None or arena < best[0]:
            best = (arena, name, {b.id: b.offset for b in buffers.values()})
    arena, name, offsets = best
    for b in buffers.values():
        b.offset = offsets[b.id]
    live = [0] * (len(graph.ops) + 2)  # step s at live[s + 1]
    for b in buffers.values():
        if len(b.parts) == 1:  # one tensor: live from first to last at its size
            for s in range(b.first, b.last + 1):
                live[s + 1] += b.parts[0][1]
        else:
            for s in range(b.first, b.last + 1):
                live[s + 1] += b.live_bytes(s)
    bound = max(live, default=0)
    return Plan(owner, sub, buffers, arena, bound, frozenset(views), name, streaming, chains)


def _layerwise(graph: Graph, chains: tuple[Chain, ...] = ()) -> Plan:
    """The smallest arena found with `chains` fixed. A streaming op's output makes one buffer of its
    input and output for both lifetimes, which can cost more elsewhere, so each is kept only where it
    helps."""
    chained = {i for c in chains for i in c.ops}
    able = frozenset(op.index for op in graph.ops if op.index not in chained and streaming_gap(graph, op) is not None)
    # Two layers that stream back to back (a depthwise then a pointwise convolution) may lower the peak
    # only together: start from the better of none and all, then toggle one op at a time.
    best = min((_plan(graph, frozenset(), chains), _plan(graph, able, chains)), key=lambda p: p.arena_bytes)
    for index in sorted(able):
        trial = _plan(graph, best.streaming ^ {index}, chains)
        if trial.arena_bytes < best.arena_bytes:
            best = trial
    return best


def _rank(plan: Plan) -> tuple[int, int]:
    return plan.arena_bytes, plan.extra_cost


def _chain_candidates(graph: Graph, plan: Plan) -> list[Plan]:
    """Plans that add one chain to `plan`'s: every run of chainable ops (stream.runs) not yet in a
    chain, cut at every pair of ends that covers each step where `plan` holds its most live bytes
    (a chain elsewhere cannot lower the arena)."""
    steps = range(len(graph.ops))
    live = [plan.live_bytes(s) for s in steps]
    peaks = [s for s in steps if live[s] == max(live, default=0)]
    at = {op.index: step for step, op in enumerate(graph.ops)}
    taken = plan.chained
    able = frozenset(op.index for op in graph.ops if op.index not in taken and streaming_gap(graph, op) is not None)
    out = []
    for run in runs(graph):
        run = [op for op in run if op.index not in taken]
        for i in range(len(run)):
            for j in range(i + 2, len(run) + 1):
                ops = run[i:j]
                if any(at[op.index] != at[ops[0].index] + k for k, op in enumerate(ops)) or not can_start(
                    graph, ops[0]
                ):
                    continue  # not consecutive once other chains' ops are out, or no first op
                if peaks and not (at[ops[0].index] <= peaks[0] and peaks[-1] <= at[ops[-1].index]):
                    continue
                chain = make_chain(graph, ops)
                for over in (False, True):
                    chain = replace(chain, windows_over_input=over)
                    chains = (*plan.chains, chain)
                    # The layers after a chain may now need to stream where they did not before: those
                    # whose step holds more live bytes than the chain's steps do.
                    plain = _plan(graph, plan.streaming - set(chain.ops), chains)
                    a, b = at[ops[0].index], at[ops[-1].index]
                    peak = max(plain.live_bytes(s) for s in range(a, b + 1))
                    over_peak = {op.index for s, op in enumerate(graph.ops) if plain.live_bytes(s) > peak}
                    trials = [plain] + [_plan(graph, x - set(chain.ops), chains) for x in (able, able & over_peak)]
                    out.append(min(trials, key=_rank))
    return out


def _widen(graph: Graph, plan: Plan) -> Plan:
    """Give each window of the last chain more rows (fewer moves) where the arena stays the same."""
    chain = plan.chains[-1]
    for k, s in enumerate(chain.stages):
        if k == 0:
            continue
        for capacity in (s.in_h, 4 * s.rows, 2 * s.rows):
            if capacity <= s.capacity:
                continue
            wider = with_capacity(graph, chain, k, capacity)
            trial = _plan(graph, plan.streaming, (*plan.chains[:-1], wider))
            if trial.arena_bytes <= plan.arena_bytes:
                plan, chain = trial, wider
                break
    return plan


class BudgetError(EdgeNNError):
    """No plan meets the RAM budget."""


def plan_arena(graph: Graph, stream: bool = True, ram_budget: int | None = None) -> Plan:
    """The smallest arena found, with row-streamed chains where they lower it (`stream`), added one at
    a time while each lowers it; the last chain's windows then get the most rows the arena allows.
    With `ram_budget` (bytes), the plan that meets it at the least extra compute instead: no chain
    where the layer-by-layer plan fits."""
    base = _layerwise(graph)
    layerwise = base.lower_bound_bytes
    best = base
    if stream and (ram_budget is None or base.arena_bytes > ram_budget):
        while True:
            found = _chain_candidates(graph, best)
            if ram_budget is not None:
                fits = [p for p in found if p.arena_bytes <= ram_budget]
                if fits:
                    best = min(fits, key=lambda p: (p.extra_cost, p.arena_bytes))
                    break
            trial = min(found, key=_rank, default=None)
            if trial is None or trial.arena_bytes >= best.arena_bytes:
                break
            best = trial
        if best.chains:
            best = _widen(graph, best)
            refined = _layerwise(graph, best.chains)
            if _rank(refined) < _rank(best):
                best = refined
    return replace(best, layerwise_bound_bytes=layerwise)


def overlapping_pairs(plan: Plan) -> list[tuple[int, int]]:
    """Buffer pairs with tensors (or windows) live at the same step on the same bytes: must be empty."""
    bs = list(plan.buffers.values())
    bad = []
    for i, a in enumerate(bs):
        for b in bs[i + 1 :]:
            if a.overlaps(b) and any(
                fa <= lb and fb <= la and a.offset + sa < b.offset + sb + nb and b.offset + sb < a.offset + sa + na
                for sa, na, fa, la in a.parts
                for sb, nb, fb, lb in b.parts
            ):
                bad.append((a.id, b.id))
    return bad


def violations(graph: Graph, plan: Plan) -> list[str]:
    """Tensor pairs that are live at the same step and share arena bytes without a rule allowing it.

    Allowed: a view and its source (same bytes); an in-place op's output over the input that dies
    there (same offset); a streaming op's output over its input when the input starts at least
    `streaming_gap` bytes after the output; a row-streamed chain's output and windows over its input
    where replaying the chain (stream.overwrites) finds no row written over input still unread, and
    no two of its blocks on the same bytes. The tensors inside a chain have no bytes; its windows
    must not share bytes with any other tensor live during the chain.
    """
    spans: dict[int, list[int]] = {t: [-1, -1] for t in graph.inputs}
    for step, op in enumerate(graph.ops):
        for t in op.inputs:
            if _is_activation(graph, t):
                spans.setdefault(t, [-1, -1])[1] = step  # state no op writes: there from the start
        for t in op.outputs:
            spans.setdefault(t, [step, step])
    for t in graph.outputs:
        spans[t][1] = len(graph.ops)
    allowed: set[tuple[int, int]] = set()
    # A chain: its input is read until its last op, its output written from its first; the tensors
    # inside it have no bytes; its windows take theirs for its steps.
    bad: list[str] = []
    for n, c in enumerate(plan.chains):
        a, b = _steps(graph, c)
        for op_index in c.ops[:-1]:
            spans.pop(next(op for op in graph.ops if op.index == op_index).outputs[0], None)
        for t in (c.input, *c.sides):
            spans[t][1] = max(spans[t][1], b)
        spans[c.output][0] = a
        # The output and the windows may take input rows the chain has read; stream.overwrites replays
        # the chain's writes to see that none lands on input still unread, or on another block.
        windows = {k: plan.window_offset(n, k) for k in range(1, len(c.stages))}
        clash = overwrites(c, plan.offset(c.input), plan.offset(c.output), windows)
        bad += clash
        if not clash:
            allowed.add((c.input, c.output))
            allowed.add((c.output, c.input))

    chained = plan.chained
    for op in graph.ops:
        if op.index in chained:
            continue
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
    for n, c in enumerate(plan.chains):
        own = {c.input, c.output}  # what overwrites() checked the chain's windows against
        for k in range(1, len(c.stages)):
            lo = plan.window_offset(n, k)
            hi = lo + c.window_size(k)
            a, b = _steps(graph, c)
            for t, (t0, t1) in spans.items():
                o = plan.offset(t)
                if t not in own and lo < o + graph.tensors[t].nbytes and o < hi and t0 <= b and a <= t1:
                    bad.append(f"chain {n}'s window {k} [{lo}, {hi}) and tensor {t} overlap while both live")
            for m, d in enumerate(plan.chains):
                if m == n:
                    continue
                d0, d1 = _steps(graph, d)
                for j in range(1, len(d.stages)):
                    o = plan.window_offset(m, j)
                    if lo < o + d.window_size(j) and o < hi and d0 <= b and a <= d1:
                        bad.append(f"chain {n}'s window {k} and chain {m}'s window {j} overlap while both live")
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


def plan_schedule(graph: Graph, stream: bool = True, ram_budget: int | None = None) -> tuple[Graph, Plan]:
    """The op order (file order or memory-aware) and plan with the smaller arena (`plan_arena`); with
    `ram_budget`, the one that meets it at the least extra compute, or BudgetError naming the smallest
    arena reached."""

    def key(plan: Plan):
        if ram_budget is not None and plan.arena_bytes <= ram_budget:
            return (0, plan.extra_cost, plan.arena_bytes)
        return (1, *_rank(plan))

    best = (graph, plan_arena(graph, stream, ram_budget))
    order = memory_order(graph)
    if order != graph.ops:
        reordered = replace(graph, ops=order)
        plan = plan_arena(reordered, stream, ram_budget)
        if key(plan) < key(best[1]):
            best = (reordered, plan)
    if ram_budget is not None and best[1].arena_bytes > ram_budget:
        if stream and ram_budget is not None:
            smallest = min(plan_schedule(graph, stream)[1].arena_bytes, best[1].arena_bytes)
        else:
            smallest = best[1].arena_bytes
        how = "" if stream else " without row-streamed chains"
        raise BudgetError(
            graph.path, f"no plan fits a RAM budget of {ram_budget:,} B: the smallest arena{how} is {smallest:,} B"
        )
    return best
