"""Row-streamed chains: consecutive layers run a few rows at a time, so that their whole-tensor
intermediates never exist.

A chain is a run of ops in the planned order, each (after the first) reading only the output of the
one before, which nothing else reads. The first reads the chain's input and the last writes the
chain's output, both whole tensors in the arena; every other op keeps a window of the rows of its
input that it still needs: the `rows` of its filter at least (base.RowWindow), a `capacity` of more
rows moving the kept rows to the window's start less often. The C (edgenn/firmware/src/stream.c)
runs, step after step, the last op whose next row has its input rows ready, so a row is made only
when the op after it needs it; `simulate` here replays the same calls to size what the planner needs:
the bytes moved, and how far the chain's input must start after its output for the two to share
bytes (rows the chain has consumed take rows it writes, as a streaming op's do). Nothing is
computed twice: the windows are line buffers. An elementwise op in a chain may read a whole tensor
beside its rows, row r for its output row r: a residual block's ADD reading the block's input,
which its output then overwrites row by row.

Each op's kernel runs on one output row at a time with its own params for that row (_spatial.stripe:
the padding above it and the rows the band holds), so the kernels, and their bit-exactness with
TFLM, are the ones the layer-by-layer C runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from edgenn.graph.tflite import Graph, Op
from edgenn.reference import traits

WINDOW_ALIGN = 4  # each window starts on a word boundary within the scratch


@dataclass(frozen=True)
class Stage:
    op: int  # op index
    in_h: int
    out_h: int
    rows: int  # input rows one output row reads
    stride: int
    pad_top: int
    in_row_bytes: int
    out_row_bytes: int
    capacity: int  # rows of its input window (0 for the first stage, which reads the chain's input)
    input: int = -1  # the tensor it reads row by row (the chain's input, or the stage before's output)
    side: int = -1  # a tensor it reads whole, row r for output row r (a residual's skip); -1: none
    side_is_input: bool = False  # that tensor is the chain's input, whose rows the chain overwrites

    def first_row(self, row: int) -> int:
        return max(0, row * self.stride - self.pad_top)

    def band_end(self, row: int) -> int:
        return min(self.in_h, row * self.stride - self.pad_top + self.rows)

    def band(self, row: int) -> tuple[int, int, int]:
        """(first input row, rows, padding rows above) of output row `row`'s band."""
        start = row * self.stride - self.pad_top
        lo, hi = max(0, start), min(self.in_h, start + self.rows)
        return lo, hi - lo, lo - start


@dataclass(frozen=True)
class Chain:
    stages: tuple[Stage, ...]
    input: int  # tensor the first stage reads
    output: int  # tensor the last stage writes
    windows: tuple[int, ...]  # each stage's window offset within the scratch (-1 for the first)
    scratch_bytes: int
    moved_bytes: int  # bytes the windows move per inference
    calls: int  # kernel calls per inference
    # (block, limit): each block (a stage's window, or OUTPUT) may start at most `limit` bytes from the
    # input's start where the input dies with the chain: every row it takes is then input already read
    slack: tuple[tuple[int, int], ...] = ()
    input_bytes: int = 0
    output_bytes: int = 0
    # Where the input dies with the chain: the windows go over the input it has read too (`place`), not
    # in a buffer of their own
    windows_over_input: bool = False

    @property
    def gap(self) -> int:
        """Bytes by which the input must start after the output to share bytes with it (the output's
        slack, negated, where the windows keep a buffer of their own)."""
        return max(0, -dict(self.slack)[OUTPUT])

    def window_size(self, stage: int) -> int:
        return window_bytes(self.stages[stage])

    def block_sizes(self) -> dict[int, int]:
        """Bytes of each block the chain writes: OUTPUT, and each window by its stage."""
        return {OUTPUT: self.output_bytes, **{k: self.window_size(k) for k in range(1, len(self.stages))}}

    @property
    def sides(self) -> tuple[int, ...]:
        """Tensors stages read whole beside their rows (the chain's input among them, if so)."""
        return tuple(s.side for s in self.stages if s.side >= 0)

    @property
    def ops(self) -> tuple[int, ...]:
        return tuple(s.op for s in self.stages)

    @property
    def intermediates(self) -> int:
        """Bytes of the whole tensors the chain never makes."""
        return sum(s.in_h * s.in_row_bytes for s in self.stages[1:])


def _row_bytes(graph: Graph, tensor: int) -> int:
    t = graph.tensors[tensor]
    return t.nbytes // t.shape[1]


MAX_STAGES = 32  # EDGENN_STREAM_MAX_STAGES in stream.h
MAX_ROWS = 32767  # the C's rows and strides are int16_t


def stage_of(graph: Graph, op: Op, streamed: int | None = None) -> Stage | None:
    """The stage of `op` reading tensor `streamed` (default: its input 0) row by row, and its other
    activation input, if any, whole (a side input: only an op whose row window is elementwise)."""
    w = traits(op.name).row_window(graph, op)
    if w is None:
        return None
    acts = _activations(graph, op)
    streamed = op.inputs[0] if streamed is None else streamed
    sides = [t for t in acts if t != streamed]
    elementwise = (w.rows, w.stride, w.pad_top) == (1, 1, 0)
    if streamed not in acts or len(acts) != len(set(acts)) or len(sides) > elementwise:
        return None
    inp, out = graph.tensors[streamed], graph.tensors[op.outputs[0]]
    if max(inp.shape[1], out.shape[1], w.rows, w.stride, w.pad_top) > MAX_ROWS or inp.nbytes >= 2**31:
        return None
    return Stage(
        op.index,
        inp.shape[1],
        out.shape[1],
        w.rows,
        w.stride,
        w.pad_top,
        _row_bytes(graph, streamed),
        _row_bytes(graph, op.outputs[0]),
        0,
        streamed,
        sides[0] if sides else -1,
    )


def _activations(graph: Graph, op: Op) -> list[int]:
    return [t for t in op.inputs if t >= 0 and graph.tensors[t].data is None]


def can_start(graph: Graph, op: Op) -> bool:
    """Whether a chain may start at `op`: it reads one activation, its input 0, row by row."""
    return stage_of(graph, op) is not None and _activations(graph, op) == [op.inputs[0]] and len(graph.results(op)) == 1


def runs(graph: Graph) -> list[list[Op]]:
    """Maximal runs of consecutive ops (in `graph.ops` order) that one chain can hold: each has a row
    window and reads the one before's output, which nothing else reads (an elementwise op may read a
    tensor from before the run beside it)."""
    readers: dict[int, int] = {}
    for op in graph.ops:
        for t in set(_activations(graph, op)):
            readers[t] = readers.get(t, 0) + 1
    out: list[list[Op]] = []
    current: list[Op] = []
    for op in graph.ops:
        # A run starts at an op reading one activation; the ops after it read the one before's output
        # (and may read a whole tensor from before the run beside it).
        first = can_start(graph, op)
        prev = current[-1].outputs[0] if current else None
        stage = stage_of(graph, op, prev) if current and len(graph.results(op)) == 1 else None
        made = {o.outputs[0] for o in current}
        linked = (
            stage is not None
            and stage.side not in made
            and readers.get(prev) == 1
            and prev not in graph.outputs
            and len(current) < MAX_STAGES
        )
        if linked:
            current.append(op)
            continue
        if len(current) > 1:
            out.append(current)
        current = [op] if first else []
    if len(current) > 1:
        out.append(current)
    return out


OUTPUT = -1  # the block a write event goes to: a stage's window (its index), or the chain's output


@dataclass(frozen=True)
class Write:
    block: int  # stage whose window is written, or OUTPUT
    start: int  # bytes from the block's start
    end: int
    unread: int  # bytes from the input's start where the input the chain has yet to read begins


def simulate(stages: tuple[Stage, ...]) -> tuple[list[Write], int, int]:
    """Replay edgenn_stream's calls: every row written (into a window or the output), with where the
    input the first stage has yet to read begins at that moment; the bytes moved; the kernel calls.
    Each step runs the last stage whose next row has its input rows ready."""
    n = len(stages)
    done, base = [0] * n, [0] * n
    first, last = stages[0], stages[-1]
    sides = [k for k, s in enumerate(stages) if s.side_is_input]
    writes: list[Write] = []
    moved = calls = 0
    while done[-1] < last.out_h:
        i = n - 1
        while i > 0 and done[i - 1] < stages[i].band_end(done[i]):
            i -= 1
        s, r = stages[i], done[i]
        # The first stage reads its band while it writes its row; later calls read from their bands on.
        unread = (first.first_row(done[0]) if done[0] < first.out_h else first.in_h) * first.in_row_bytes
        for k in sides:
            # A stage reading the input beside its rows still needs its rows from done[k] on; its own
            # call reads row r as it writes (element by element, so a row over that row is safe).
            unread = min(unread, (done[k] + (k == i)) * stages[k].out_row_bytes)
        if i < n - 1:
            nxt = stages[i + 1]
            if r - base[i + 1] >= nxt.capacity:
                keep = nxt.first_row(done[i + 1])
                moved += (r - keep) * s.out_row_bytes
                base[i + 1] = keep
            at = (r - base[i + 1]) * s.out_row_bytes
            if r - base[i + 1] >= nxt.capacity:  # cannot be: a window holds the rows one output row reads
                raise AssertionError(f"op {nxt.op}'s window of {nxt.capacity} rows overflows")
            writes.append(Write(i + 1, at, at + s.out_row_bytes, unread))
        else:
            writes.append(Write(OUTPUT, r * s.out_row_bytes, (r + 1) * s.out_row_bytes, unread))
        done[i] = r + 1
        calls += 1
    return writes, moved, calls


def make_chain(graph: Graph, ops: list[Op], capacities: list[int] | None = None) -> Chain:
    """The chain of `ops` (consecutive, from one of `runs`), each window holding `capacities[i]` rows
    (at least the stage's filter rows; default exactly those)."""
    stages = [stage_of(graph, ops[0])] + [
        stage_of(graph, op, prev.outputs[0]) for prev, op in zip(ops, ops[1:], strict=False)
    ]
    caps = capacities or [0] + [s.rows for s in stages[1:]]
    x = ops[0].inputs[0]
    stages = tuple(
        replace(s, capacity=0 if i == 0 else max(caps[i], s.rows), side_is_input=s.side == x)
        for i, s in enumerate(stages)
    )
    windows, at = [-1], 0
    for s in stages[1:]:
        windows.append(at)
        at += window_bytes(s)
    writes, moved, calls = simulate(stages)
    slack = {b: min(w.unread - w.end for w in writes if w.block == b) for b in {w.block for w in writes}}
    return Chain(
        stages,
        ops[0].inputs[0],
        ops[-1].outputs[0],
        tuple(windows),
        at,
        moved,
        calls,
        tuple(sorted(slack.items())),
        graph.tensors[ops[0].inputs[0]].nbytes,
        graph.tensors[ops[-1].outputs[0]].nbytes,
    )


def window_bytes(s: Stage) -> int:
    return -(-s.capacity * s.in_row_bytes // WINDOW_ALIGN) * WINDOW_ALIGN


def place(chain: Chain) -> dict[int, int]:
    """Where the output and each window go, in bytes from the start of the chain's input, when that
    input dies with the chain: each block as high as the input it overwrites allows (every row is
    written only over input the chain has read; `slack`), none overlapping another, from the block
    allowed highest down (which packs them lowest for such limits)."""
    sizes = chain.block_sizes()
    ceiling = None
    out: dict[int, int] = {}
    # A block's end may be at most limit + size: stacked down from the highest such bound, each as high
    # as it may go, they reach least far down (as jobs run backwards from their deadlines).
    for block, limit in sorted(chain.slack, key=lambda kv: -(kv[1] + sizes[kv[0]])):
        end = limit + sizes[block] if ceiling is None else min(limit + sizes[block], ceiling)
        out[block] = (end - sizes[block]) // WINDOW_ALIGN * WINDOW_ALIGN
        ceiling = out[block]
    return out


def overwrites(chain: Chain, input_at: int, output_at: int, window_at: dict[int, int]) -> list[str]:
    """Rows the chain would write, with these offsets, over input it has yet to read or over another
    block: what the arena checker reports."""
    writes, _, _ = simulate(chain.stages)
    at = {OUTPUT: output_at, **window_at}
    bad = []
    for w in writes:
        lo, hi = at[w.block] + w.start, at[w.block] + w.end
        if lo < input_at + chain.input_bytes and input_at + w.unread < hi:
            what = "the output" if w.block == OUTPUT else f"op {chain.stages[w.block].op}'s window"
            bad.append(f"chain {list(chain.ops)}: a row of {what} [{lo}, {hi}) overwrites unread input")
            break
    sizes = chain.block_sizes()
    blocks = sorted((at[b], at[b] + sizes[b], b) for b in sizes)
    for (a0, a1, a), (b0, b1, b) in zip(blocks, blocks[1:], strict=False):
        if b0 < a1:
            bad.append(f"chain {list(chain.ops)}: blocks {a} [{a0}, {a1}) and {b} [{b0}, {b1}) overlap")
    return bad


def with_capacity(graph: Graph, chain: Chain, stage: int, capacity: int) -> Chain:
    ops = {op.index: op for op in graph.ops}
    caps = [s.capacity for s in chain.stages]
    caps[stage] = capacity
    return replace(make_chain(graph, [ops[i] for i in chain.ops], caps), windows_over_input=chain.windows_over_input)


def describe(chain: Chain, graph: Graph) -> dict:
    """What `edgenn analyze` and the C folder's manifest say of a chain (common schema's `chain`)."""
    names = {op.index: op.name for op in graph.ops}
    return {
        "ops": list(chain.ops),
        "layers": [
            {
                "index": s.op,
                "op": names[s.op],
                "window_rows": s.capacity if i else None,
                "window_bytes": window_bytes(s) if i else 0,
                "rows_read": s.rows,
            }
            for i, s in enumerate(chain.stages)
        ],
        "window_bytes": chain.scratch_bytes,
        "intermediate_bytes": chain.intermediates,
        "moved_bytes": chain.moved_bytes,
        "kernel_calls": chain.calls,
        "extra_macs": 0,  # line buffers: no row is computed twice
        "windows_over_input": chain.windows_over_input,
    }
