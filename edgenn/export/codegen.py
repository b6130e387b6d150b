"""`edgenn codegen`: an int8 .tflite → a self-contained C99 folder: <name>.c/.h and the kernel library.

The folder holds the model's own files, named after it so that several models live in one
firmware, and edgenn/: the whole kernel library, the same files for every model of one edgenn
version but edgenn/config.h, which turns on only the kernel paths the model's layers take (with
`kernel_paths="all"` every one, and then any one copy serves every model so generated; a static
library keeps only the kernels called). The manifest (edgenn.json) lists the files; the
build-system packages are renderings of that list.

The generated entry point `int <name>_invoke(const int8_t *input, int8_t *output)` runs a
straight-line sequence of kernel calls over one static arena. Weights, biases and per-channel
multipliers and shifts are `const` (flash). Every check happens here, at export time; the C
only computes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from edgenn import __version__, layout
from edgenn.clib import INCLUDE, SRC
from edgenn.export import packing
from edgenn.export.cgen import C_TYPES, c_comment, c_const_array, c_identifier, comment_block, io_macros
from edgenn.export.plan import BudgetError, Plan, plan_schedule
from edgenn.export.stream import describe
from edgenn.fileio import write_dir
from edgenn.graph.tflite import Graph, Op, parse_tflite
from edgenn.recipe import OPTIMIZE  # codegen --optimize: the kernels' fast paths, or the least code
from edgenn.reference import _spatial, interpreter
from edgenn.reference import module_name as reference_module_name
from edgenn.reference.base import CONSTANT_KINDS, FEATURES, SETTINGS, SPEED_ONLY
from edgenn.schemas import produced

LIB_DIR = "edgenn"  # kernels and headers go in OUT/edgenn/
CONFIG = "config.h"  # LIB_DIR/CONFIG: the kernel paths the model's layers take (base.FEATURES)
# The kernels that read CONFIG: each defines edgenn_<module>_config_<bits> (EDGENN_CONFIG_MARK in edgenn.h).
CONFIGURED = ("conv_2d", "depthwise_conv_2d", "fully_connected", "packed", "transpose_conv")
KERNEL_PATHS = ("model", "all")  # generate()'s choices: the model's own paths, or every one
MANIFEST = "edgenn.json"  # what tools need to build and run the folder


@dataclass
class Unit:
    """Everything the generated model.c declares, in order."""

    arrays: list[str] = field(default_factory=list)
    structs: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)  # row-streamed chains' stage functions and tables
    modules: dict[str, None] = field(default_factory=dict)
    const_bytes: int = 0
    const_items: list[tuple[int, str, str, int]] = field(default_factory=list)  # (op index, what, kind, bytes)
    names: set[str] = field(default_factory=set)
    # (C type, name stem, fields) → the struct already declared with them: a chained layer's row
    # variants share their packed weights' descriptor
    struct_of: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # (C type, shape, bytes, alignment) → the array already declared with them: an unrolled recurrent layer's steps
    # share their weights, tables and multipliers, so each is stored once.
    declared: dict[tuple[str, tuple[int, ...], bytes, bool, bool], str] = field(default_factory=dict)
    features: dict[str, None] = field(default_factory=dict)  # base.FEATURES the layers take, in first-use order
    # Arrays of one value repeated per output channel, declared once every layer has reported whether
    # some layer needs per-channel constants: (index in arrays, index in const_items, ctype, name,
    # values, comment, (op index, what, kind)).
    uniform: list[tuple[int, int, str, str, np.ndarray, str, tuple[int, str, str]]] = field(default_factory=list)


class OpEmitter:
    """What an op module's `emit(params, e)` uses to name its operands and declare constants."""

    def __init__(
        self, graph: Graph, plan: Plan, unit: Unit, op: Op, prefix: str, packed: packing.Packing | None = None
    ):
        self.graph, self.plan, self.unit, self.op = graph, plan, unit, op
        self.tag = f"op{op.index}"
        self.prefix = prefix
        self.packing = packed  # the layer's packed weights (export/packing.py), or None: dense

    def packed_call(self, kernel: str, params: str) -> str:
        """The call that runs the layer (its dense params `params`) on its packed weights: `kernel`'s
        packed twin, which unpacks a group of channels at a time into the layer's scratch buffer."""
        p = self.packing
        self.unit.modules["packed"] = None
        if p.group:  # the unpacking loop, and the unpacker of this encoding only
            kind = "PAIRS" if p.paired else "BITS" if p.bits < 4 else "NIBBLES"
            kind = {"int4": "INT4", "sparse": "SPARSE"}.get(p.encoding, kind)
            self.use("UNPACK", f"UNPACK_{kind}")
        what = {"int4": "int4", "sparse": "block_index"}.get(p.encoding, "indices")
        values = "NULL"
        if p.values is not None:
            values = self.array("int8_t", p.values, "blocks" if p.encoding == "sparse" else "palette", "weights")
        weights = self.struct(
            "edgenn_packed",
            {
                "depth": p.depth,
                "row_bytes": p.row_bytes,
                "bits": p.bits,
                "data": self.array("uint8_t", p.data, what, "weights", tensor=True),
                "values": values,
                "counts": "NULL" if p.counts is None else self.array("uint16_t", p.counts, "block_counts", "weights"),
                "table_step": p.table_step,
            },
            "packed",
        )
        fields = {
            "layer": params,
            "weights": weights,
            "scratch": f"(int8_t *)&{self.prefix}_arena[{self.plan.offset(p.scratch)}]" if p.scratch >= 0 else "NULL",
            "group": p.group,
        }
        call = self.struct(f"{kernel}_packed_params", fields, "packed_params")
        return f"{kernel}_packed({call}, {self.input(0)}, {self.output()});"

    def _unique(self, base: str) -> str:
        name = c_identifier(base)
        n = 1
        while name in self.unit.names:
            n += 1
            name = f"{c_identifier(base)}_{n}"
        self.unit.names.add(name)
        return name

    def data(self, i: int) -> np.ndarray | None:
        """Constant data of op input i (None for an activation or an omitted input)."""
        if i >= len(self.op.inputs) or self.op.inputs[i] < 0:
            return None
        return self.graph.tensors[self.op.inputs[i]].data

    def use(self, *features: str) -> None:
        """Report kernel paths (base.FEATURES) this op's params select: the folder's config.h compiles them."""
        for f in features:
            if f not in FEATURES:
                raise ValueError(f"{self.op.name}: unknown kernel feature {f!r}, not one of {sorted(FEATURES)}")
            self.unit.features[f] = None

    def array(self, ctype: str, values, what: str, kind: str, tensor: bool = False, per_channel: bool = False) -> str:
        """Declare a const array in flash; returns its symbol. `kind` (one of CONSTANT_KINDS) is what
        analyze counts it as. Weights (`tensor`) are 16-byte aligned, other constants only to the 4
        bytes that word loads need, which saves padding. A `per_channel` array is one the kernels index
        through EDGENN_QCH(c): values that differ report PER_CHANNEL; equal ones shrink to one value
        where no layer of the model needs per-channel constants (_settle_uniform)."""
        if kind not in CONSTANT_KINDS:
            raise ValueError(f"{self.op.name}: constant '{what}' has kind {kind!r}, not one of {CONSTANT_KINDS}")
        values = np.asarray(values)
        uniform = per_channel and values.size > 0 and bool((values == values.reshape(-1)[0]).all())
        if per_channel and not uniform:
            self.use("PER_CHANNEL")
        # A shrinkable array is shared only with its like: another kernel may index the other by channel.
        key = (ctype, values.shape, np.ascontiguousarray(values).tobytes(), tensor, uniform)
        if key in self.unit.declared:  # the same constant again: no bytes of its own
            self.unit.const_items.append((self.op.index, what, kind, 0))
            return self.unit.declared[key]
        name = self._unique(f"{self.tag}_{what}")
        self.unit.declared[key] = name
        comment = f"{self.op.name} op {self.op.index}: {what}"
        if uniform:
            self.unit.uniform.append(
                (
                    len(self.unit.arrays),
                    len(self.unit.const_items),
                    ctype,
                    name,
                    values,
                    comment,
                    (self.op.index, what, kind),
                )
            )
            self.unit.arrays.append("")
            self.unit.const_items.append((self.op.index, what, kind, 0))
            return name
        self.unit.arrays.append(declare_array(self.unit, ctype, name, values, comment, tensor))
        self.unit.const_items.append((self.op.index, what, kind, array_bytes(ctype, values)))
        return name

    def tensor(self, index: int, ctype: str | None = None) -> str:
        """A C pointer expression for tensor `index`: a const array for constants, else into the arena."""
        t = self.graph.tensors[index]
        ctype = ctype or C_TYPES[t.dtype]
        if t.data is not None:
            return self.array(C_TYPES[t.dtype], t.data, f"t{index}", "weights", tensor=True)
        return f"(({ctype} *)&{self.prefix}_arena[{self.plan.offset(index)}])"

    def input(self, i: int, ctype: str | None = None) -> str:
        return self.tensor(self.op.inputs[i], ctype)

    def output(self, i: int = 0, ctype: str | None = None) -> str:
        return self.tensor(self.op.outputs[i], ctype)

    def struct(self, ctype: str, fields: dict[str, object], what: str = "params") -> str:
        """Declare `static const ctype name = {.field = value, ...};`, once for the same fields; returns `&name`."""
        body = ",\n".join(f"    .{k} = {v}" for k, v in fields.items())
        key = (ctype, f"{self.tag}_{what}", body)
        if key not in self.unit.struct_of:
            name = self._unique(f"{self.tag}_{what}")
            self.unit.structs.append(f"static const {ctype} {name} = {{\n{body},\n}};")
            self.unit.struct_of[key] = name
        return f"&{self.unit.struct_of[key]}"


class StripeEmitter(OpEmitter):
    """An OpEmitter for one output row of a layer in a row-streamed chain: the graph it sees has that
    row's band as the streamed input and one row as the output (and as the side input, if any), which
    the stage function's `input`, `output` and `row` point at; constants are the layer's own
    (declared once, whatever the row)."""

    def __init__(
        self, graph: Graph, plan: Plan, unit: Unit, op: Op, prefix: str, stage, packed: packing.Packing | None = None
    ):
        super().__init__(graph, plan, unit, op, prefix, packed)
        self.stage = stage

    def tensor(self, index: int, ctype: str | None = None) -> str:
        if index == self.stage.input:
            return "input"
        if index == self.op.outputs[0]:
            return "output"
        if index == self.stage.side:
            row_bytes = self.stage.out_row_bytes  # the side input has the output's shape
            return f"((const int8_t *)&{self.prefix}_arena[{self.plan.offset(index)}] + row * {row_bytes})"
        return super().tensor(index, ctype)


def _stripe_graph(graph: Graph, op: Op, stage, rows: int) -> Graph:
    """`graph` with the stage's streamed input `rows` rows high, its output and side input one row."""
    tensors = list(graph.tensors)
    for t, h in ((stage.input, rows), (op.outputs[0], 1), (stage.side, 1)):
        if t >= 0:
            tensors[t] = replace(tensors[t], shape=(1, h, *tensors[t].shape[2:]))
    return replace(graph, tensors=tuple(tensors))


def _emit_chain(
    graph: Graph, plan: Plan, unit: Unit, by_op: dict, n: int, ident: str, prefix: str, packings: dict
) -> str:
    """The stage functions and stage table of chain `n` (stream.py); returns the call that runs it."""
    chain = plan.chains[n]
    ops = {op.index: op for op in graph.ops}
    rows = []
    for k, stage in enumerate(chain.stages):
        op, prepared = ops[stage.op], by_op[stage.op]
        variants: dict[tuple[int, int], int] = {}
        statements: list[str] = []
        per_row = []
        for r in range(stage.out_h):
            _, band, pad = stage.band(r)
            if (band, pad) not in variants:
                variants[band, pad] = len(statements)
                e = StripeEmitter(
                    _stripe_graph(graph, op, stage, band), plan, unit, op, ident, stage, packings.get(op.index)
                )
                stripe = getattr(prepared.module, "stripe", _spatial.stripe)
                statements.append(prepared.module.emit(stripe(prepared.params, r, pad), e))
            per_row.append(variants[band, pad])
        fn = f"{ident}_chain{n}_op{op.index}"
        unit.names.add(fn)
        body = [
            f"static void {fn}(int32_t row, const int8_t *input, int8_t *output) {{",
            f"    {prefix}_MARK(op{op.index});",
        ]
        if len(statements) == 1:
            body += [] if stage.side >= 0 else ["    (void)row;"]
            body.append(f"    {statements[0]}")
        else:
            table = f"{fn}_variant"
            unit.names.add(table)
            unit.arrays.append(
                declare_array(
                    unit, "uint8_t", table, np.array(per_row), f"op {op.index}: its params for each output row"
                )
            )
            unit.const_items.append((op.index, "row params", "tables", len(per_row)))
            body.append(f"    switch ({table}[row]) {{")
            for v, statement in enumerate(statements):
                body += [
                    f"    case {v}:" if v < len(statements) - 1 else "    default:",
                    f"        {statement}",
                    "        break;",
                ]
            body.append("    }")
        body.append("}")
        unit.stages.append("\n".join(body))
        at = plan.offset(chain.input) if k == 0 else plan.window_offset(n, k)
        window = f"(int8_t *)&{ident}_arena[{at}]"
        rows.append(
            f"    {{{fn}, {window}, {stage.in_row_bytes}, {stage.out_row_bytes}, {stage.in_h}, {stage.out_h}, "
            f"{stage.rows}, {stage.stride}, {stage.pad_top}, {stage.capacity}}},"
        )
        unit.modules[reference_module_name(prepared.module)] = None
        for dep in getattr(prepared.module, "C_DEPENDS", ()):
            unit.modules[dep] = None
    unit.modules["stream"] = None
    table = f"{ident}_chain{n}"
    unit.names.add(table)
    last = chain.stages[-1].out_h
    unit.stages.append(
        "\n".join(
            [
                f"/* ops {', '.join(str(i) for i in chain.ops)}: a row-streamed chain (edgenn_stream). Fields: run, "
                "window (the first stage's: the chain's input), in/out row bytes, in/out rows, rows read, stride, "
                "padding above, window rows. The last entry is the chain's output. */",
                f"static const edgenn_stage {table}[{len(rows) + 1}] = {{",
                *rows,
                f"    {{NULL, (int8_t *)&{ident}_arena[{plan.offset(chain.output)}], 0, 0, 0, 0, 0, 0, 0, {last}}},",
                "};",
            ]
        )
    )
    return f"edgenn_stream({table}, {len(rows)});"


def array_bytes(ctype: str, values: np.ndarray) -> int:
    return values.size * {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2, "int64_t": 8}.get(ctype, 4)


def declare_array(unit: Unit, ctype: str, name: str, values: np.ndarray, comment: str, tensor: bool = False) -> str:
    """The C declaration of a const array, its bytes counted in `unit`."""
    unit.const_bytes += array_bytes(ctype, values)
    shape = "x".join(str(d) for d in values.shape) or "1"
    return c_const_array(ctype, name, values, align=16 if tensor else 4, comment=f"{comment} [{shape}]")


def _settle_uniform(unit: Unit, whole: bool) -> None:
    """Declare the per-channel arrays that hold one value repeated: whole where the kernels index every
    such array by channel (`whole`), else that one value."""
    for at, item, ctype, name, values, comment, (op_index, what, kind) in unit.uniform:
        kept = values if whole else values.reshape(-1)[:1]
        unit.arrays[at] = declare_array(unit, ctype, name, kept, comment)
        unit.const_items[item] = (op_index, what, kind, array_bytes(ctype, kept))
    unit.uniform.clear()


# What config.h sets: the kernel paths (base.FEATURES), then how the kernels are built (base.SETTINGS).
CONFIG_NAMES = {**FEATURES, **SETTINGS}


def config_bits(config) -> str:
    """What EDGENN_CONFIG_BITS spells: one digit per CONFIG_NAMES name, 1 where `config` turns it on."""
    return "".join(str(int(name in config)) for name in CONFIG_NAMES)


def folder_config(features, optimize: str = "speed") -> set[str]:
    """config.h's names for a folder whose layers take `features`: built for flash, without the paths
    that only add speed (base.SPEED_ONLY) and with OPTIMIZE_SIZE."""
    if optimize not in OPTIMIZE:
        raise ValueError(f"optimize {optimize!r}: one of {OPTIMIZE}")
    return set(features) - SPEED_ONLY | {"OPTIMIZE_SIZE"} if optimize == "size" else set(features)


def config_header(config) -> str:
    """LIB_DIR/CONFIG turning on the kernel paths `config` (base.FEATURES names). The library's own
    config.h is this text for every path."""
    args = [chr(ord("a") + i) for i in range(len(CONFIG_NAMES))]
    lines = [
        "/*",
        " * The kernel paths to compile: edgenn codegen writes each model's folder a copy that turns on",
        " * only the paths its layers take, from the same choices that fill the layers' params; the",
        " * library's own turns on every one. Several models running from one copy of the kernels need",
        " * one config.h: generate them with --kernel-paths all (a model linked with kernels compiled",
        " * under another config.h fails the link: EDGENN_CONFIG_MARK in edgenn.h).",
        " */",
        "#ifndef EDGENN_CONFIG_H",
        "#define EDGENN_CONFIG_H",
        "",
    ]
    for name, what in CONFIG_NAMES.items():
        lines.append(f"#define EDGENN_USE_{name} {int(name in config)} /* {what} */")
    lines += [
        "",
        "/* The values above as one number, for the kernels' symbols. */",
        f"#define EDGENN_CONFIG_DIGITS({', '.join(args)}) {'##'.join(args)}",
        f"#define EDGENN_CONFIG_DIGITS_({', '.join(args)}) EDGENN_CONFIG_DIGITS({', '.join(args)})",
        "#define EDGENN_CONFIG_BITS \\",
        f"    EDGENN_CONFIG_DIGITS_({', '.join(f'EDGENN_USE_{name}' for name in CONFIG_NAMES)})",
    ]
    return "\n".join([*lines, "", "#endif /* EDGENN_CONFIG_H */", ""])


def config_marks(modules, config) -> list[str]:
    """The marks (EDGENN_CONFIG_MARK) of the configured kernels among `modules` compiled under `config`."""
    return [f"edgenn_{m}_config_{config_bits(config)}" for m in CONFIGURED if m in modules]


@dataclass(frozen=True)
class Generated:
    name: str
    files: dict[str, str]  # relative path → text
    arena_bytes: int
    const_bytes: int
    modules: tuple[str, ...]
    plan: Plan
    const_items: tuple[tuple[int, str, str, int], ...]  # (op index, what, kind, bytes)
    graph: Graph  # in the order the generated code runs it
    packings: dict[int, packing.Packing] = field(default_factory=dict)  # op index → its packed weights


def library_files() -> dict[str, str]:
    """The kernel library as the folder carries it: every header and source, under LIB_DIR/."""
    return {
        f"{LIB_DIR}/{path.name}": path.read_text()
        for path in sorted([*INCLUDE.glob("*.h"), *SRC.glob("*.c")], key=lambda p: p.name)
    }


def _packed_schedule(
    graph: Graph, found: dict[int, packing.Packing], auto: bool, stream: bool, ram_budget: int | None
) -> tuple[Graph, Plan, dict[int, packing.Packing]]:
    """The op order and plan (plan_schedule) with the layers of `found` packed. A packed layer leaves
    row-streamed chains and needs a scratch buffer, so it may grow the arena: with `auto`, layers are
    packed one at a time, those that save the most bytes first, each only where the arena stays the
    dense model's, and in a way (int4, sparse, palettes) only where its layers save more than the
    kernel code it adds (packing.CODE_BYTES). Then each packed layer's scratch grows into the bytes
    the arena leaves free at its step (_widen_groups)."""
    if not auto or not found:
        packed_graph, packings = packing.with_scratch(graph, found)
        best = plan_schedule(packed_graph, stream, ram_budget)
        return _widen_groups(graph, best, packings, stream, ram_budget)
    # A way of packing that saves less than the kernel code it adds makes the model larger.
    saved: dict[str, int] = {}
    for p in found.values():
        saved[packing.family(p.encoding)] = saved.get(packing.family(p.encoding), 0) + p.dense_bytes - p.nbytes
    found = {
        i: p
        for i, p in found.items()
        if saved[packing.family(p.encoding)] > packing.CODE_BYTES[packing.family(p.encoding)]
    }
    best = plan_schedule(graph, stream, ram_budget)
    limit = best[1].arena_bytes
    keep: dict[int, packing.Packing] = {}
    for index in sorted(found, key=lambda i: found[i].nbytes - found[i].dense_bytes):
        trial_keep = {**keep, index: found[index]}
        trial = plan_schedule(packing.with_scratch(graph, trial_keep)[0], stream, ram_budget)
        if trial[1].arena_bytes <= limit:
            keep, best = trial_keep, trial
    return _widen_groups(graph, best, packing.with_scratch(graph, keep)[1], stream, ram_budget)


def _widen_groups(
    graph: Graph, best: tuple[Graph, Plan], packings: dict[int, packing.Packing], stream: bool, ram_budget: int | None
) -> tuple[Graph, Plan, dict[int, packing.Packing]]:
    """Each packed layer unpacking more channels at a time where the arena has room at its step: fewer
    passes over its input, at no cost in RAM. A layer keeps its wider group only where the plan's arena
    stays the same, or within `ram_budget` where one is given (the fewest instructions that fit it)."""
    planned, plan = best
    step = {op.index: s for s, op in enumerate(planned.ops)}
    for index in sorted(packings):
        p = packings[index]
        if p.group == 0 or p.group >= p.rows:
            continue
        limit = max(plan.arena_bytes, ram_budget or 0)
        room = limit - plan.live_bytes(step[index])
        group = min(p.rows, p.group + room // p.depth)
        while group > p.group:  # the widest group whose plan fits; halfway down where one does not
            group -= group % 2 if 1 < group < p.rows else 0
            trial_packings = {**packings, index: replace(p, group=group)}
            try:
                trial = plan_schedule(packing.with_scratch(graph, trial_packings)[0], stream, ram_budget)
            except BudgetError:
                trial = None
            if trial is not None and trial[1].arena_bytes <= limit:
                packings, (planned, plan) = trial_packings, trial
                step = {op.index: s for s, op in enumerate(planned.ops)}
                break
            group = p.group + (group - p.group) // 2
    return planned, plan, packing.with_scratch(graph, packings)[1]


def generate(
    graph: Graph,
    name: str,
    command: str,
    kernel_paths: str = "model",
    stream: bool = True,
    ram_budget: int | None = None,
    compress: str = "auto",
    optimize: str = "speed",
) -> Generated:
    """Render the folder's text files for `graph` (validated op by op first). `kernel_paths` "model"
    compiles only the kernel paths its layers take, "all" every one (for a firmware whose models share
    one copy of the kernels). `stream` lets the planner run early layers as row-streamed chains where
    that lowers the arena; `ram_budget` (bytes) asks for the plan that meets it at the least extra
    compute (plan.plan_schedule). `compress` (packing.CHOICES, or several joined by commas) names
    the encodings the layers' weights may be packed in, each where it holds them exactly and saves
    flash: "auto" every one, "none" none. `optimize` (OPTIMIZE): "size" builds the kernels for flash
    (base.SETTINGS: a general loop each, no speed-only path, -Os; the same bytes, more instructions)."""
    if kernel_paths not in KERNEL_PATHS:
        raise ValueError(f"kernel_paths {kernel_paths!r}: one of {KERNEL_PATHS}")
    encodings = packing.allowed(compress)
    by_op = {p.op.index: p for p in interpreter.prepare(graph, need_c=True)}  # every op checked first
    graph, plan, packings = _packed_schedule(
        graph, packing.choices(graph, by_op.values(), encodings), compress == "auto", stream, ram_budget
    )
    prepared = [by_op[op.index] for op in graph.ops]  # in the planned order
    ident = c_identifier(name)
    prefix = ident.upper()
    unit = Unit()
    unit.names.update(
        {f"{ident}_arena", f"{ident}_invoke", f"{ident}_run", f"{ident}_input", f"{ident}_output", f"{ident}_op_end"}
    )
    unit.names.update(f"{ident}_op{p.op.index}" for p in prepared)  # the profiling labels in _run
    chain_of = {c.ops[0]: n for n, c in enumerate(plan.chains)}
    chained = plan.chained
    for p in prepared:
        op = p.op
        if op.index in chain_of:
            n = chain_of[op.index]
            call = _emit_chain(graph, plan, unit, by_op, n, ident, prefix, packings)
            ops = ", ".join(f"{i} ({by_op[i].op.name})" for i in plan.chains[n].ops)
            unit.calls.append(f"    {c_comment(f'ops {ops}: row-streamed')}\n    {call}")
            continue
        if op.index in chained:
            continue
        if op.index in plan.views:
            unit.calls.append(f"    {c_comment(f'op {op.index}: {op.name}: a view of the same arena bytes, no code')}")
            continue
        module_name = reference_module_name(p.module)
        e = OpEmitter(graph, plan, unit, op, ident, packings.get(op.index))
        mark = f"{prefix}_MARK(op{op.index});"  # where the op's code starts, for a profiler (no instruction)
        unit.calls.append(f"    {c_comment(f'op {op.index}: {op.name}')}\n    {mark}\n    {p.module.emit(p.params, e)}")
        unit.modules[module_name] = None
        for dep in getattr(p.module, "C_DEPENDS", ()):
            unit.modules[dep] = None
    config = folder_config(FEATURES if kernel_paths == "all" else unit.features, optimize)
    _settle_uniform(unit, "PER_CHANNEL" in config)

    front = comment_block(
        [
            f"Generated by edgenn {__version__} from {graph.path.name if graph.path else 'a .tflite model'}",
            f"Source SHA-256 {graph.sha256}",
            f"Command: {command}",
            "Do not edit: regenerate instead.",
        ]
    )
    inp, out = graph.input_tensor(), graph.output_tensor()
    in_type, out_type = C_TYPES[inp.dtype], C_TYPES[out.dtype]
    guard = f"EDGENN_{prefix}_MODEL_H"
    header = "\n".join(
        [
            front,
            "",
            f"#ifndef {guard}",
            f"#define {guard}",
            "",
            "#include <stddef.h>",
            "#include <stdint.h>",
            "",
            f'#define {prefix}_EDGENN_VERSION "{__version__}"',
            f'#define {prefix}_SOURCE_SHA256 "{graph.sha256}"',
            f"#define {prefix}_ARENA_BYTES {plan.arena_bytes}",
            f"#define {prefix}_CONST_BYTES {unit.const_bytes}",
            "",
            *io_macros(prefix, "INPUT", inp),
            "",
            *io_macros(prefix, "OUTPUT", out),
            "",
            "#ifdef __cplusplus",
            'extern "C" {',
            "#endif",
            "",
            "/* Zero-copy use: write the input where _input() points, call _run(), read the output",
            " * where _output() points (valid until the next run). Both point into the one static arena,",
            f" * so {prefix}_ARENA_BYTES is all the RAM the model needs. A run may overwrite the input",
            " * (layers run in place): write it before every run. Not reentrant. */",
            f"{in_type} *{ident}_input(void);",
            f"const {out_type} *{ident}_output(void);",
            f"int {ident}_run(void);",
            "",
            f"/* Copying use: runs the model on {prefix}_INPUT_SIZE values from `input` and writes",
            f" * {prefix}_OUTPUT_SIZE values to `output`. Returns EDGENN_OK (0) or an edgenn_status code. */",
            f"int {ident}_invoke(const {in_type} *input, {out_type} *output);",
            "",
            "#ifdef __cplusplus",
            "}",
            "#endif",
            "",
            f"#endif /* {guard} */",
            "",
        ]
    )
    in_off, out_off = plan.offset(graph.inputs[0]), plan.offset(graph.outputs[0])
    marks = config_marks(unit.modules, config)
    includes = [f'#include "{LIB_DIR}/{m}.h"' for m in unit.modules if (INCLUDE / f"{m}.h").is_file()]
    source = "\n".join(
        [
            front,
            "",
            f'#include "{ident}.h"',
            f'#include "{LIB_DIR}/edgenn.h"',
            *includes,
            "",
            *(
                [f"/* The marks of the kernels compiled with this folder's {LIB_DIR}/{CONFIG} (EDGENN_CONFIG_MARK). */"]
                + [f"extern const char {m};" for m in marks]
                + [""]
                if marks
                else []
            ),
            "/* Activations: one static arena; offsets chosen at export time. */",
            f"static EDGENN_ALIGN(16) uint8_t {ident}_arena[{max(plan.arena_bytes, 16)}];",
            "",
            *unit.arrays,
            "",
            *unit.structs,
            "",
            f"{in_type} *{ident}_input(void) {{",
            f"    return ({in_type} *)(void *)&{ident}_arena[{in_off}];",
            "}",
            "",
            f"const {out_type} *{ident}_output(void) {{",
            f"    return (const {out_type} *)(const void *)&{ident}_arena[{out_off}];",
            "}",
            "",
            "/* Each op's code starts at a file-local assembler label, <name>_op<N>_<k>, and the last op's ends",
            " * at <name>_op_end_<k>: a profiler tells layers apart by them. A label is no instruction. The",
            " * compiler makes <k> unique (%=) to each copy it emits, as when it inlines _run into _invoke. */",
            "#if defined(__GNUC__) || defined(__clang__)",
            f'#define {prefix}_MARK(label) __asm__ volatile("{ident}_" #label "_%=:" ::: "memory")',
            "#else",
            f"#define {prefix}_MARK(label)",
            "#endif",
            "",
            *[line for stage in unit.stages for line in (stage, "")],
            f"int {ident}_run(void) {{",
            *(
                ["    /* Read so that the link needs them: kernels compiled under another config.h lack them. */"]
                + [f"    (void)*(const volatile char *)&{m};" for m in marks]
                if marks
                else []
            ),
            *unit.calls,
            f"    {prefix}_MARK(op_end);",
            "    return EDGENN_OK;",
            "}",
            "",
            f"int {ident}_invoke(const {in_type} *input, {out_type} *output) {{",
            "    int status;",
            "    if (input == NULL || output == NULL) {",
            "        return EDGENN_ERROR_NULL_ARGUMENT;",
            "    }",
            f"    edgenn_copy_bytes(&{ident}_arena[{in_off}], input, {inp.nbytes}u);",
            f"    status = {ident}_run();",
            f"    edgenn_copy_bytes(output, &{ident}_arena[{out_off}], {out.nbytes}u);",
            "    return status;",
            "}",
            "",
        ]
    )
    manifest = {
        "schema": 1,
        "name": ident,
        "prefix": prefix,
        "edgenn_version": __version__,
        "source_sha256": graph.sha256,
        "input": {
            "shape": list(inp.shape),
            "dtype": inp.dtype,
            "scale": list(inp.scale),
            "zero_point": list(inp.zero_point),
        },
        "output": {
            "shape": list(out.shape),
            "dtype": out.dtype,
            "scale": list(out.scale),
            "zero_point": list(out.zero_point),
        },
        "arena_bytes": plan.arena_bytes,
        "lower_bound_bytes": plan.lower_bound_bytes,
        "layerwise_lower_bound_bytes": plan.layerwise_bound_bytes,
        "chains": [describe(c, graph) for c in plan.chains],
        "const_bytes": unit.const_bytes,
        "compress": compress,
        "packed": [packings[i].describe(i) for i in sorted(packings)],
        "ops": list(graph.op_names),
        "features": [f for f in FEATURES if f in unit.features and f in config],
        "optimize": optimize,
        "command": command,
        "header": f"{ident}.h",
        "sources": [f"{ident}.c"],
        "kernels": [f"{LIB_DIR}/{m}.c" for m in unit.modules if (SRC / f"{m}.c").is_file()],
        # A float32 kernel among them: the build takes the target's FPU (an int8 model's never does).
        "float_code": any(tuple(getattr(p.module, "TYPES", ())) == ("float32",) for p in prepared),
    }
    produced(manifest, "c-manifest")
    files = {
        manifest["header"]: header,
        manifest["sources"][0]: source,
        MANIFEST: json.dumps(manifest, indent=2) + "\n",
    }
    files.update(library_files())
    files[f"{LIB_DIR}/{CONFIG}"] = config_header(config)
    return Generated(
        ident,
        files,
        plan.arena_bytes,
        unit.const_bytes,
        tuple(unit.modules),
        plan,
        tuple(unit.const_items),
        graph,
        packings,
    )


def codegen(
    target: Path,
    out_dir: Path | None = None,
    name: str | None = None,
    command: str = "edgenn codegen",
    packages: Callable[[dict[str, str], Path], Mapping[str, str | bytes]] | None = None,
    kernel_paths: str = "model",
    ram_budget: int | None = None,
    stream: bool = True,
    compress: str = "auto",
    optimize: str = "speed",
) -> Path:
    """Write the C folder for `target` (a build directory or a .tflite). Returns the folder.

    `kernel_paths` (KERNEL_PATHS): "model" compiles only the kernel paths the model's layers take,
    "all" every one, as a firmware needs whose models share one copy of the kernels.

    `packages(files, folder)` renders more files from the folder's (the build-system packages of
    edgenn.export.bundles). The folder is written beside its destination and renamed into place,
    so a failure leaves no partial output: the old folder or the new one with all its packages.
    """
    tflite, default_name = layout.resolve_model(target)
    graph = parse_tflite(tflite.read_bytes(), tflite)
    gen = generate(graph, name or default_name, command, kernel_paths, stream, ram_budget, compress, optimize)
    out_dir = (
        Path(out_dir) if out_dir else (Path(target) / layout.C_DIR if Path(target).is_dir() else tflite.with_suffix(""))
    )
    files: dict[str, str | bytes] = dict(gen.files)
    if packages is not None:
        files.update(packages(gen.files, out_dir))
    write_dir(out_dir, files)
    return out_dir
