"""`edgenn profile`: where an inference's instructions go on the Cortex-M4, layer by layer, with a cycle estimate.

The generated C starts each op's code at an empty assembler label (`<name>_op<N>_<k>`, no
instruction); the counting plugin of QEMU (edgenn/firmware/tools/insn_count.c) bins the
instructions the emulated Cortex-M4 executes between those labels. The counts are exact and the
total is the figure `toolchain.count_instructions` gives. Cycles are an estimate: each executed
instruction weighted by its class in the cost model below, documented in docs/cost-model.md.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgenn import layout, toolchain
from edgenn.errors import EdgeNNError
from edgenn.export.codegen import codegen, generate
from edgenn.graph.tflite import NUMPY_DTYPES, Graph, parse_tflite
from edgenn.reference import op_macs

SCHEMA = 1
BENCHMARK_INPUTS = 20  # random samples drawn, as benchmarks/speed.py draws them; the first `count` run

# The cost model (docs/cost-model.md). Cycle counts are Arm's Cortex-M4 Technical Reference Manual
# figures for a system with zero wait states; P is the pipeline refill after a branch (1 to 3 in
# the TRM). The plugin does not see which conditional branches were taken, so every branch is
# taken to cost 1 + P with one P for all.
BRANCH_REFILL = 2  # P: the middle of the TRM's 1-3
DIVIDE_CYCLES = 7  # SDIV/UDIV take 2-12 (early termination on the operands); the middle is used
LOAD_CYCLES = "2 (1 after a load)"  # a single load after another pipelines its address phase


@dataclass(frozen=True)
class CostClass:
    """Instructions that cost the same on the Cortex-M4. `cycles` is written as docs/cost-model.md writes it."""

    name: str
    cycles: str
    mnemonics: tuple[str, ...]


COST_TABLE: tuple[CostClass, ...] = (
    CostClass(
        "move, arithmetic, logic, shift, compare",
        "1",
        (
            "mov", "movw", "movt", "mvn", "add", "addw", "adc", "adr", "sub", "subw", "sbc", "rsb", "neg", "and",
            "orr", "orn", "eor", "bic", "tst", "teq", "cmp", "cmn", "lsl", "lsr", "asr", "ror", "rrx", "clz",
        ),
    ),
    CostClass(
        "bit field, extend, reverse",
        "1",
        (
            "bfi", "bfc", "ubfx", "sbfx", "sxtb", "sxth", "uxtb", "uxth", "sxtab", "sxtah", "uxtab", "uxtah",
            "sxtb16", "uxtb16", "sxtab16", "uxtab16", "rbit", "rev", "rev16", "revsh",
        ),
    ),
    CostClass(
        "saturate, SIMD add and subtract, select, pack",
        "1",
        (
            "ssat", "usat", "ssat16", "usat16", "qadd", "qsub", "qdadd", "qdsub", "qadd8", "qadd16", "qsub8",
            "qsub16", "qasx", "qsax", "sadd8", "sadd16", "ssub8", "ssub16", "sasx", "ssax", "uadd8", "uadd16",
            "usub8", "usub16", "uasx", "usax", "uqadd8", "uqadd16", "uqsub8", "uqsub16", "uqasx", "uqsax",
            "shadd8", "shadd16", "shsub8", "shsub16", "shasx", "shsax", "uhadd8", "uhadd16", "uhsub8", "uhsub16",
            "uhasx", "uhsax", "sel", "pkhbt", "pkhtb", "usad8", "usada8",
        ),
    ),
    CostClass(
        "multiply, multiply-accumulate (32- and 64-bit, SIMD)",
        "1",
        (
            "mul", "mla", "mls", "smull", "umull", "smlal", "umlal", "umaal", "smulbb", "smulbt", "smultb",
            "smultt", "smulwb", "smulwt", "smlabb", "smlabt", "smlatb", "smlatt", "smlawb", "smlawt", "smlalbb",
            "smlalbt", "smlaltb", "smlaltt", "smlad", "smladx", "smlsd", "smlsdx", "smlald", "smlaldx", "smlsld",
            "smlsldx", "smuad", "smuadx", "smusd", "smusdx", "smmul", "smmulr", "smmla", "smmlar", "smmls",
            "smmlsr",
        ),
    ),
    CostClass("divide", str(DIVIDE_CYCLES), ("sdiv", "udiv")),
    CostClass(
        "load one register",
        LOAD_CYCLES,
        ("ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "ldrt", "ldrbt", "ldrht", "ldrsbt", "ldrsht", "ldrex", "ldrexb",
         "ldrexh"),
    ),
    CostClass("store one register", "1", ("str", "strb", "strh", "strt", "strbt", "strht")),
    CostClass("store exclusive", "2", ("strex", "strexb", "strexh")),
    CostClass("load or store two registers", "3", ("ldrd", "strd")),
    CostClass(
        "load or store multiple, push, pop",
        "1+N",
        ("ldm", "ldmia", "ldmfd", "ldmdb", "ldmea", "stm", "stmia", "stmea", "stmdb", "stmfd", "push", "pop"),
    ),
    CostClass("branch", "1+P", ("b", "bl", "bx", "blx", "cbz", "cbnz")),
    CostClass("table branch", "2+P", ("tbb", "tbh")),
    CostClass("if-then", "1", ("it",)),
    CostClass(
        "barrier, hint, system",
        "1",
        ("dmb", "dsb", "isb", "nop", "yield", "wfe", "wfi", "sev", "cpsid", "cpsie", "mrs", "msr", "clrex"),
    ),
)  # fmt: skip

_BY_MNEMONIC = {m: c for c in COST_TABLE for m in c.mnemonics}
_CONDITIONS = {"eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al"}
# Classes whose instruction, writing the PC, also refills the pipeline (MOV PC, LDR PC, POP {..., PC}).
_PC_WRITERS = {"move, arithmetic, logic, shift, compare", "load one register", "load or store multiple, push, pop"}


def cost_class(mnemonic: str) -> CostClass | None:
    """The class of an objdump mnemonic ("addseq.w", "bne.n", "itte"), or None for one the model lacks.

    The width qualifier, a condition code and the flag-setting S are not part of the class; the
    full mnemonic is tried first, so "teq" or "mls" are not taken for a condition.
    """
    m = mnemonic.lower().split(".", 1)[0]
    if re.fullmatch(r"it[te]{0,3}", m):
        return _BY_MNEMONIC["it"]
    candidates = [m]
    if m[-2:] in _CONDITIONS:
        candidates.append(m[:-2])
    candidates += [c[:-1] for c in list(candidates) if c.endswith("s")]
    for c in candidates:
        if c in _BY_MNEMONIC:
            return _BY_MNEMONIC[c]
    return None


def _registers(operands: str) -> list[str]:
    """The registers of a register list ("{r4, r5-r7, lr}"), ranges expanded."""
    inside = operands[operands.find("{") + 1 : operands.find("}")] if "{" in operands else ""
    regs = []
    for item in (i.strip() for i in inside.split(",") if i.strip()):
        span = re.fullmatch(r"r(\d+)-r(\d+)", item)
        regs += [f"r{i}" for i in range(int(span[1]), int(span[2]) + 1)] if span else [item]
    return regs


def instruction_cycles(mnemonic: str, operands: str, after_load: bool) -> tuple[int, CostClass | None]:
    """Estimated cycles of one instruction (`after_load`: the instruction before it was a single load).

    Unknown mnemonics cost 1. Returns the cycles and the class.
    """
    cls = cost_class(mnemonic)
    if cls is None:
        return 1, None
    if cls.cycles.isdigit():
        cycles = int(cls.cycles)
    elif cls.cycles == LOAD_CYCLES:
        cycles = 1 if after_load else 2
    elif cls.cycles == "1+N":
        cycles = 1 + len(_registers(operands))
    elif cls.cycles == "1+P":
        return 1 + BRANCH_REFILL, cls
    elif cls.cycles == "2+P":
        return 2 + BRANCH_REFILL, cls
    else:  # a class whose cycles this function does not know how to read
        raise AssertionError(f"cost class {cls.name}: cycles '{cls.cycles}'")
    if cls.name in _PC_WRITERS:
        if cls.cycles == "1+N":  # only a load multiple can write the PC, from its register list
            writes_pc = mnemonic.lower().startswith(("ldm", "pop")) and "pc" in _registers(operands)
        else:  # the PC as the destination register
            writes_pc = operands.split(",", 1)[0].strip() == "pc"
        cycles += BRANCH_REFILL if writes_pc else 0
    return cycles, cls


@dataclass(frozen=True)
class Instruction:
    address: int
    mnemonic: str
    operands: str


class CostModel:
    """The cycle estimate of straight runs of instructions of one Cortex-M ELF, from its disassembly."""

    def __init__(self, elf: Path):
        self.elf = Path(elf)
        proc = subprocess.run(
            ["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", str(elf)], capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise EdgeNNError(elf, "cannot be disassembled: " + proc.stderr.strip()[:200])
        self.code: list[Instruction] = []
        for line in proc.stdout.splitlines():
            found = re.match(r"\s*([0-9a-f]+):\t([^\t]+)\t?([^\t]*)", line)
            if found:
                self.code.append(Instruction(int(found[1], 16), found[2].strip(), found[3].strip()))
        self.at = {ins.address: i for i, ins in enumerate(self.code)}
        self.unknown: set[str] = set()
        self._cycles: dict[tuple[int, int], int] = {}

    def cycles(self, start: int, count: int) -> int:
        """Estimated cycles of the `count` instructions that run straight on from address `start`."""
        key = (start, count)
        if key not in self._cycles:
            i = self.at.get(start)
            run = self.code[i : i + count] if i is not None else []
            if len(run) != count or any(ins.mnemonic.startswith(".") for ins in run):
                raise EdgeNNError(self.elf, f"the disassembly does not match the code executed at 0x{start:x}")
            total, after_load = 0, False
            for ins in run:
                cycles, cls = instruction_cycles(ins.mnemonic, ins.operands, after_load)
                if cls is None:
                    self.unknown.add(ins.mnemonic.lower().split(".", 1)[0])
                total += cycles
                after_load = cls is not None and cls.cycles == LOAD_CYCLES
            self._cycles[key] = total
        return self._cycles[key]


def benchmark_inputs(shape: tuple[int, ...], dtype: str = "int8", n: int = BENCHMARK_INPUTS) -> np.ndarray:
    """`n` random samples over the whole range of an integer input (seed 0), as the speed benchmark runs."""
    np_dtype = np.dtype(NUMPY_DTYPES.get(dtype, np.float32))
    if not np.issubdtype(np_dtype, np.integer):
        raise EdgeNNError(None, f"no default inputs for a {dtype} input: give the inputs")
    info = np.iinfo(np_dtype)
    return np.random.default_rng(0).integers(int(info.min), int(info.max) + 1, size=(n, *shape)).astype(np_dtype)


def _layer_marks(ident: str, symbols: dict[str, int]) -> tuple[dict[int, list[int]], list[int]]:
    """The addresses where each op's code starts (op index → addresses) and where the last op's ends.

    A label has one address per copy of _run the compiler emitted (inlined into _invoke, say).
    """
    starts: dict[int, list[int]] = {}
    ends: list[int] = []
    pattern = re.compile(rf"{re.escape(ident)}_op(\d+|_end)_\d+")
    for name, address in symbols.items():
        found = pattern.fullmatch(name)
        if found and found[1] == "_end":
            ends.append(address)
        elif found:
            starts.setdefault(int(found[1]), []).append(address)
    return starts, ends


def profile_folder(folder: Path, graph: Graph, inputs: np.ndarray, dsp: bool = True) -> dict:
    """Build a generated C folder for the Cortex-M4 and profile it on `inputs` (see `profile` for the result).

    `graph` is the .tflite model the folder was generated from; the layers are listed in the order
    the generated code runs them, as `edgenn analyze` lists them.
    """
    folder = Path(folder)
    toolchain.require_tools("cortex-m4")
    m = toolchain.manifest(folder)
    if m["source_sha256"] != graph.sha256:
        raise EdgeNNError(folder, "was generated from another model (its source SHA-256 differs): regenerate it")
    gen = generate(
        graph, m["name"], "edgenn profile", compress=m.get("compress", "auto"), optimize=m.get("optimize", "speed")
    )
    built = toolchain.build(folder, "cortex-m4", dsp=dsp)
    starts, ends = _layer_marks(m["name"], toolchain.symbols(built.elf))
    with_code = [op for op in gen.graph.ops if op.index not in gen.plan.views]
    if any(op.index not in starts for op in with_code) or not ends:
        raise EdgeNNError(folder, "has no layer marks in its C: regenerate it with 'edgenn codegen'")
    bin_of = {op.index: b for b, op in enumerate(with_code, start=1)}  # bin 0: everything outside the layers
    marks = {address: bin_of[index] for index, addresses in starts.items() for address in addresses}
    marks.update({address: 0 for address in ends})
    counts = toolchain.instruction_counts(folder, inputs, marks)

    cost = CostModel(built.elf)
    cycles = [0] * len(counts.bins)
    for b, start, length, execs in counts.segments:
        cycles[b] += cost.cycles(start, length) * execs
    n = counts.inputs
    total_instr = counts.per_inference
    layers = []
    for op in gen.graph.ops:
        b = bin_of.get(op.index)
        instructions = counts.bins[b] / n if b is not None else 0.0
        macs = op_macs(gen.graph, op)
        layers.append(
            {
                "index": op.index,
                "op": op.name,
                "macs": macs,
                "instructions": instructions,
                "macs_per_instruction": macs / instructions if instructions else None,
                "cycles": cycles[b] / n if b is not None else 0.0,
                "share": instructions / total_instr if total_instr else 0.0,
            }
        )
    total_macs = sum(layer["macs"] for layer in layers)
    return {
        "schema": SCHEMA,
        "model": m["name"],
        "source_sha256": graph.sha256,
        "target": "cortex-m4",
        "dsp": dsp,
        "inputs": n,
        "layers": layers,
        "overhead": {
            "instructions": counts.bins[0] / n,
            "cycles": cycles[0] / n,
            "what": "input copy-in, output copy-out, calls",
        },
        "total": {
            "instructions": total_instr,
            "macs": total_macs,
            "macs_per_instruction": total_macs / total_instr if total_instr else None,
            "cycles": sum(cycles) / n,
        },
        "cost_model": (
            f"cycles estimated with docs/cost-model.md: Cortex-M4 TRM timings, zero wait states, "
            f"every branch 1+P with P={BRANCH_REFILL}; the instruction count is exact"
        ),
        "unknown_mnemonics": sorted(cost.unknown),
    }


def profile(
    target: Path,
    device: str = "cortex-m4",
    inputs: np.ndarray | None = None,
    count: int = 2,
    dsp: bool = True,
    compress: str = "auto",
    optimize: str = "speed",
) -> dict:
    """Instructions per layer of one inference on the emulated Cortex-M4, MACs per instruction, and cycles.

    TARGET is a build directory or a .tflite. The C is generated into a temporary folder, built for
    the Cortex-M4 (with its DSP instructions unless `dsp` is False) and run under QEMU on the first
    `count` of `inputs` (default: the speed benchmark's random samples). Per-inference figures are
    averages over those samples. Each layer's `share` is its fraction of the total instructions;
    `overhead` is what runs outside the layers. `total.instructions` equals
    `toolchain.count_instructions` on the same build and inputs; cycles are an estimate. The weights
    are packed as `edgenn codegen --compress` packs them, the kernels built as `--optimize` asks.
    """
    if device != "cortex-m4":
        raise EdgeNNError(None, f"profiling runs on the emulated Cortex-M4 only (device '{device}')")
    if count < 1:
        raise EdgeNNError(None, f"count must be at least 1 (got {count})")
    toolchain.require_tools("cortex-m4")
    tflite, name = layout.resolve_model(target)
    graph = parse_tflite(tflite.read_bytes(), tflite)
    with tempfile.TemporaryDirectory() as tmp:
        folder = codegen(
            tflite, Path(tmp) / "c", name=name, command="edgenn profile", compress=compress, optimize=optimize
        )
        return profile_folder(folder, graph, first_inputs(folder, graph, inputs, count), dsp)


def first_inputs(folder: Path, graph: Graph, inputs: np.ndarray | None = None, count: int = 2) -> np.ndarray:
    """The first `count` of `inputs` (default: the speed benchmark's random samples) as the firmware takes them."""
    shape = graph.input_tensor().shape
    x = benchmark_inputs(shape, graph.input_tensor().dtype) if inputs is None else np.asarray(inputs)
    return toolchain.prepare_inputs(folder, x).reshape(-1, *shape)[:count]


def latency(folder: Path, graph: Graph, layers: list[dict]) -> dict | None:
    """What a report says of the speed of a build's C folder, and each layer's instructions (set in
    `layers`, as `edgenn.analyze.layers` lists them): None unless it was built for the Cortex-M4 and
    QEMU is here."""
    if "cortex-m4" not in toolchain.built_targets(folder) or not toolchain.have_tools("cortex-m4"):
        return None
    p = profile_folder(folder, graph, first_inputs(folder, graph))
    by_index = {layer["index"]: layer["instructions"] for layer in p["layers"]}
    for layer in layers:
        layer["instructions"] = by_index.get(layer["index"])
    return {
        "target": p["target"],
        "dsp": p["dsp"],
        "inputs": p["inputs"],
        "instructions": p["total"]["instructions"],
        "cycles": p["total"]["cycles"],
        "macs_per_instruction": p["total"]["macs_per_instruction"],
        "definition": "instructions per inference of the generated C on the emulated Cortex-M4 (QEMU, counted "
        "exactly), over the speed benchmark's first random inputs; cycles: " + p["cost_model"],
    }


def print_profile(r: dict) -> None:
    """The per-layer table of a profile, then the overhead and total rows."""
    from rich.table import Table

    from edgenn.console import out

    def ratio(v: float | None) -> str:
        return "—" if v is None else f"{v:.3f}"

    table = Table(
        title=f"{r['model']}: Cortex-M4 ({'DSP' if r['dsp'] else 'plain C'}), per inference over {r['inputs']} inputs"
    )
    for col in ("op", "layer", "MACs", "instructions", "MACs/instr", "cycles (est.)", "share"):
        table.add_column(col, justify="left" if col == "layer" else "right")
    for layer in r["layers"]:
        table.add_row(
            str(layer["index"]),
            layer["op"],
            f"{layer['macs']:,}",
            f"{layer['instructions']:,.0f}",
            ratio(layer["macs_per_instruction"]),
            f"{layer['cycles']:,.0f}",
            f"{100 * layer['share']:.1f}%",
        )
    total, over = r["total"], r["overhead"]
    share = over["instructions"] / total["instructions"] if total["instructions"] else 0.0
    table.add_row(
        "", f"overhead ({over['what']})", "", f"{over['instructions']:,.0f}", "", f"{over['cycles']:,.0f}",
        f"{100 * share:.1f}%", end_section=True,
    )  # fmt: skip
    table.add_row(
        "",
        "total",
        f"{total['macs']:,}",
        f"{total['instructions']:,.0f}",
        ratio(total["macs_per_instruction"]),
        f"{total['cycles']:,.0f}",
        "100%",
    )
    out.print(table)
    note = r["cost_model"]
    if r.get("unknown_mnemonics"):
        note += f"; costed 1 cycle, not in the model: {', '.join(r['unknown_mnemonics'])}"
    out.print(note, soft_wrap=True)
