"""`edgenn firmware build|run`: compile a generated folder for a target (edgenn/targets.py) and run it.

The host build runs natively. A device build runs in QEMU on the first of its target's boards whose
memory holds it, with semihosting: the firmware reads `inputs.bin` and writes `outputs.bin` in
QEMU's working directory.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgenn import layout
from edgenn.clib import FIRMWARE
from edgenn.errors import BuildDirError, DataError, EdgeNNError
from edgenn.export.cgen import C_TYPES
from edgenn.export.codegen import LIB_DIR, MANIFEST
from edgenn.fileio import atomic_path
from edgenn.graph.tflite import NUMPY_DTYPES
from edgenn.targets import TARGETS, Machine, Target

QEMU_TIMEOUT_S = 600
MACHINE_FILE = "machine"  # in a device build folder: the QEMU board it was linked for
# What the linker says when the board's memory is too small (our scripts' ASSERTs, or a region overflow).
OVERFLOW = re.compile(r"RAM overflow|FLASH overflow|will not fit in region|region `?\w+'? overflowed")


@dataclass(frozen=True)
class Build:
    folder: Path
    target: str
    elf: Path
    text: int  # flash: code and const data of the model's own objects
    data: int  # initialised RAM (also stored in flash)
    bss: int  # zeroed RAM: the arena
    machine: str | None = None  # the emulated board a device build runs on
    kernel_text: int = 0  # of `text`: the kernel library's objects (code and its constant tables), no weights

    @property
    def flash_bytes(self) -> int:
        return self.text + self.data

    @property
    def ram_bytes(self) -> int:
        return self.data + self.bss

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "text": self.text,
            "data": self.data,
            "bss": self.bss,
            "flash_bytes": self.flash_bytes,
            "ram_bytes": self.ram_bytes,
            "kernel_text": self.kernel_text,
        }


def manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BuildDirError(folder, f"not a generated C folder (no {MANIFEST}): run 'edgenn codegen' first")
    return layout.read_json_object(path, "c-manifest")


def model_sources(folder: Path, m: dict | None = None) -> list[Path]:
    """The files a build of the model compiles: its own sources and the kernels it calls, each checked to exist."""
    folder = Path(folder)
    m = m or manifest(folder)
    paths = [folder / rel for rel in (*m["sources"], *m["kernels"])]
    for path in paths:
        if not path.is_file():
            raise BuildDirError(path, f"missing: the manifest {MANIFEST} lists it; regenerate the folder")
    return paths


def device_target() -> str:
    """The target whose build stands for the device: the Cortex-M4 when its compiler is installed, else the host.

    Footprints (eval, gate, analyze, sweep) are measured on this one target, so they agree.
    """
    return "cortex-m4" if shutil.which("arm-none-eabi-gcc") else "host"


def built_targets(folder: Path) -> list[str]:
    """The targets `folder` has been built for, devices before the host."""
    built = [t for t in TARGETS if (build_dir(folder, t) / "model.size").is_file()]
    return sorted(built, key=lambda t: t == "host")


def target_record(name: str) -> Target:
    try:
        return TARGETS[name]
    except KeyError:
        raise EdgeNNError(None, f"unknown target '{name}' (known: {', '.join(TARGETS)})") from None


def have_tools(name: str) -> bool:
    return (
        all(shutil.which(tool) is not None for tool, _ in target_record(name).tools)
        and shutil.which("make") is not None
    )


def require_tools(name: str) -> None:
    for tool, package in (*target_record(name).tools, ("make", "make")):
        if shutil.which(tool) is None:
            raise EdgeNNError(None, f"{tool} not found: install it (Debian: apt-get install {package})")


def build_dir(folder: Path, target_name: str) -> Path:
    return Path(folder) / f"build-{target_name}"


def make_vars(t: Target, machine: Machine | None, float_code: bool = False) -> list[str]:
    """The target's record as the Makefiles under edgenn/firmware/ take it (CC, ARCH, TARGET_LDFLAGS, STARTUP...).

    `float_code`: the firmware computes in float (the audio frontend, a float32 model) and gets the
    target's FPU (soft-float on a core without one) and the math library."""
    ldflags = [*t.ldflags]
    if machine is not None:
        ldflags += machine.defsyms()
        if t.linker_script:
            ldflags += ["-T", str(FIRMWARE / "targets" / t.linker_script)]
    return [
        f"CC={t.cc}",
        f"SIZE={t.size}",
        f"ARCH={' '.join(t.flags(float_code))}",
        f"TARGET_LDFLAGS={' '.join(ldflags)}",
        f"STARTUP={FIRMWARE / 'targets' / t.startup if t.startup else ''}",
        f"HOST_TIMING={0 if t.is_device else 1}",
        f"FLOAT={int(float_code)}",
    ]


def float_make_vars(target_name: str) -> list[str]:
    """make_vars for firmware with float code (the frontend and keyword-spotting builds) on the target's first board."""
    t = target_record(target_name)
    return make_vars(t, t.machines[0] if t.machines else None, float_code=True)


def optimize_flag(m: dict) -> str:
    """The compiler's optimization level for a folder's manifest: -Os where it was generated for flash."""
    return "-Os" if m.get("optimize") == "size" else "-O2"


def _make(
    folder: Path,
    m: dict,
    t: Target,
    out: Path,
    machine: Machine | None,
    extra_cflags: str,
    dsp: bool,
    extra_ldflags: str,
) -> subprocess.CompletedProcess:
    cmd = [
        "make",
        "-s",
        "-C",
        str(FIRMWARE),
        f"MODEL={folder.resolve()}",
        f"OUT={out.resolve()}",
        f"SRCS={' '.join(rel for rel in (*m['sources'], *m['kernels']))}",
        f"NAME={m['name']}",
        f"PREFIX={m['prefix']}",
        f"IN_T={C_TYPES[m['input']['dtype']]}",
        f"OUT_T={C_TYPES[m['output']['dtype']]}",
        # Float kernels in the manifest: the FPU's flags; an int8 model builds with the core's alone.
        *make_vars(t, machine, float_code=bool(m.get("float_code", False))),
        f"OPT={optimize_flag(m)}",
        f"EXTRA_CFLAGS={extra_cflags}",
        f"EXTRA_LDFLAGS={extra_ldflags}",
        f"DSP={int(dsp)}",
        "-B",
    ]
    return subprocess.run(cmd, capture_output=True, text=True)


def build(
    folder: Path, target: str = "host", extra_cflags: str = "", dsp: bool = True, extra_ldflags: str = ""
) -> Build:
    """Compile the folder and the runner for `target`; `dsp=False` builds the plain kernels (EDGENN_NO_DSP).

    A device build links for the first of the target's boards whose memory holds it."""
    folder = Path(folder)
    m = manifest(folder)
    model_sources(folder, m)
    t = target_record(target)
    require_tools(target)
    out = build_dir(folder, target)
    (out / MACHINE_FILE).unlink(missing_ok=True)
    too_small = []
    for machine in t.machines or (None,):
        proc = _make(folder, m, t, out, machine, extra_cflags, dsp, extra_ldflags)
        if proc.returncode == 0:
            break
        message = (proc.stderr or proc.stdout).strip()
        if machine is None or not OVERFLOW.search(message):
            raise EdgeNNError(folder, "compilation failed: " + " | ".join(message.splitlines()[:6]))
        too_small.append(machine.name)
    else:
        raise EdgeNNError(folder, f"the model does not fit the memory of any {target} board ({', '.join(too_small)})")
    if machine is not None:
        with atomic_path(out / MACHINE_FILE) as tmp:
            tmp.write_text(machine.name + "\n", encoding="ascii")
    return built(folder, target)


def built(folder: Path, target_name: str) -> Build:
    """The sizes of an existing build, from the `size` totals over the model's own objects."""
    out = build_dir(folder, target_name)
    path = out / "model.size"
    try:
        lines = path.read_text(encoding="ascii").strip().splitlines()
        text, data, bss = (int(v) for v in lines[-1].split()[:3])
        # one line per object, then the totals: the kernels' objects are the ones under obj/edgenn/
        kernel_text = sum(int(line.split()[0]) for line in lines[1:-1] if f"/obj/{LIB_DIR}/" in line)
    except (OSError, UnicodeDecodeError, IndexError, ValueError):
        raise BuildDirError(path, f"unreadable: rebuild with 'edgenn firmware build {folder}'") from None
    machine = build_machine(folder, target_name).name if target_record(target_name).is_device else None
    return Build(Path(folder), target_name, out / "runner.elf", text, data, bss, machine, kernel_text)


def build_machine(folder: Path, target_name: str) -> Machine:
    """The board a device build was linked for (recorded beside it), checked against the target's boards."""
    t = target_record(target_name)
    path = build_dir(folder, target_name) / MACHINE_FILE
    try:
        name = path.read_text(encoding="ascii").strip() if path.stat().st_size < 256 else ""
    except (OSError, UnicodeDecodeError):
        raise BuildDirError(
            path, f"missing: run 'edgenn firmware build {folder} --target {target_name}' first"
        ) from None
    try:
        return t.machine(name)
    except KeyError:
        raise BuildDirError(
            path, f"names no {target_name} board (known: {', '.join(m.name for m in t.machines)})"
        ) from None


def _io(m: dict, which: str) -> tuple[tuple[int, ...], np.dtype]:
    return tuple(m[which]["shape"]), np.dtype(NUMPY_DTYPES[m[which]["dtype"]])


def emulator(elf: Path, target_name: str, machine: Machine | None = None) -> list[str]:
    """The command that runs a device ELF in QEMU on `machine` (default: the target's first board)."""
    t = target_record(target_name)
    return t.qemu_command(machine or t.machines[0], str(Path(elf).resolve()))


def firmware_command(folder: Path, target_name: str) -> list[str]:
    """The command that runs the build of `folder` for `target_name`: the ELF on the host, else QEMU on its board."""
    elf = build_dir(folder, target_name) / "runner.elf"
    if not elf.is_file():
        raise BuildDirError(elf, f"missing: run 'edgenn firmware build {folder} --target {target_name}' first")
    if not target_record(target_name).is_device:
        return [str(elf.resolve())]
    return emulator(elf, target_name, build_machine(folder, target_name))


def execute(cmd: list[str], cwd: Path, elf: Path) -> subprocess.CompletedProcess:
    """Run the firmware (natively or in QEMU) with a time limit: a hung guest never returns by itself."""
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=QEMU_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise EdgeNNError(elf, f"no answer within {QEMU_TIMEOUT_S} s (the firmware hangs)") from None
    except OSError as exc:  # not executable, not a program for this machine
        raise BuildDirError(elf, f"cannot be run ({exc.strerror}): rebuild it with 'edgenn firmware build'") from None
    if proc.returncode != 0:
        raise EdgeNNError(elf, f"firmware exited with status {proc.returncode}: {proc.stderr.strip()[:200]}")
    return proc


def prepare_inputs(folder: Path, x: np.ndarray, where: Path | None = None) -> np.ndarray:
    """Samples as the firmware takes them: floats for an int8 model are quantized with its input scale."""
    m = manifest(folder)
    shape, dtype = _io(m, "input")
    if np.issubdtype(x.dtype, np.floating) and dtype != x.dtype and m["input"]["scale"]:
        from edgenn.graph.quant import QuantParams, quantize

        x = quantize(x, QuantParams(m["input"]["scale"][0], m["input"]["zero_point"][0], dtype.type))
    per_sample = int(np.prod(shape))
    if x.dtype != dtype or x.size % per_sample or (x.ndim > 1 and int(np.prod(x.shape[1:])) not in (per_sample,)):
        raise DataError(where, f"inputs are {x.shape} {x.dtype}; the model takes N samples of {shape} {dtype}")
    return x


def run(folder: Path, inputs: np.ndarray, target: str = "host", repeat: int = 1) -> tuple[np.ndarray, float | None]:
    """Run the built firmware on `inputs` (N samples). Returns (outputs, host ns per inference or None)."""
    folder = Path(folder)
    m = manifest(folder)
    require_tools(target)
    cmd = firmware_command(folder, target)
    elf = build_dir(folder, target) / "runner.elf"
    in_shape, _ = _io(m, "input")
    out_shape, out_dtype = _io(m, "output")
    x = prepare_inputs(folder, np.asarray(inputs))
    count = x.size // int(np.prod(in_shape))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "inputs.bin").write_bytes(np.ascontiguousarray(x).tobytes())
        if not TARGETS[target].is_device:
            cmd += ["inputs.bin", "outputs.bin", str(repeat)]
        proc = execute(cmd, tmp, elf)
        raw = (tmp / "outputs.bin").read_bytes()
        ns = None
        for line in proc.stderr.splitlines():
            if line.startswith("ns_per_inference"):
                ns = float(line.split()[1])
    out = np.frombuffer(raw, dtype=out_dtype)
    if out.size != count * int(np.prod(out_shape)):
        raise EdgeNNError(elf, f"firmware wrote {out.size} values for {count} inputs")
    return out.reshape(count, *out_shape), ns


def symbols(elf: Path, target_name: str = "cortex-m4") -> dict[str, int]:
    """Every named symbol of a device ELF (functions, objects and local labels) with its address."""
    proc = subprocess.run([target_record(target_name).nm, str(elf)], capture_output=True, text=True, check=True)
    found: dict[str, int] = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            found.setdefault(parts[2], int(parts[0], 16))
    return found


def symbol_address(elf: Path, symbol: str, table: dict[str, int]) -> str:
    """The address of `symbol` in an ELF, looked up in `table` (from `symbols`), as hex text."""
    address = table.get(symbol)
    if address is None:
        raise EdgeNNError(elf, f"symbol {symbol} not found")
    return f"0x{address:08x}"


@dataclass(frozen=True)
class InstructionCounts:
    """What the counting plugin saw between the begin and end markers, summed over a whole run.

    `bins[b]` holds the instructions counted in bin b: bin 0 from `begin` up to the first mark
    and after any mark given bin 0; bin b > 0 from a mark given bin b up to the next mark.
    `segments` lists each straight run of instructions that executed, as (bin, start address,
    instructions in it, executions): a cost model weights the instructions with them.
    """

    inputs: int  # samples the run processed (1 when unknown)
    bins: tuple[int, ...]
    segments: tuple[tuple[int, int, int, int], ...]

    @property
    def total(self) -> int:
        return sum(self.bins)

    @property
    def per_inference(self) -> float:
        return self.total / self.inputs


def _plugin(elf: Path) -> Path:
    """The counting plugin (edgenn/firmware/tools/insn_count.c), built beside the ELF on first use."""
    plugin = Path(elf).parent / "insn_count.so"
    source = FIRMWARE / "tools" / "insn_count.c"
    if not plugin.is_file() or plugin.stat().st_mtime < source.stat().st_mtime:
        with atomic_path(plugin) as tmp:  # a build folder never holds half a plugin
            subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(tmp), str(source)], check=True)
    return plugin


def plugin_counts(
    command: list[str],
    elf: Path,
    begin: str,
    end: str,
    workdir: Path,
    marks: dict[int, int] | None = None,
    inputs: int = 1,
    target_name: str = "cortex-m4",
) -> InstructionCounts:
    """Run the firmware (`command`: QEMU with the ELF) in `workdir` (its input files there) and count its instructions.

    Counting runs from each call to the function `begin` to the next call to `end`. `marks` maps
    code addresses to bins (see InstructionCounts); without marks everything is bin 0.
    """
    elf = Path(elf)
    workdir = Path(workdir)
    out = workdir / "insn_count.txt"
    table = symbols(elf, target_name)
    args = f"begin={symbol_address(elf, begin, table)},end={symbol_address(elf, end, table)},out={out}"
    if marks:
        listing = workdir / "insn_marks.txt"
        listing.write_text("".join(f"0x{addr:x} {b}\n" for addr, b in marks.items()), encoding="ascii")
        args += f",marks={listing}"
    execute([*command, "-plugin", f"{_plugin(elf).resolve()},{args}"], workdir, elf)
    bins: dict[int, int] = {}
    segments = []
    total = None
    for line in out.read_text(encoding="ascii").splitlines():
        kind, *values = line.split()
        if kind == "total":
            total = int(values[0])
        elif kind == "bin":
            bins[int(values[0])] = int(values[1])
        elif kind == "seg":
            segments.append((int(values[0]), int(values[1], 16), int(values[2]), int(values[3])))
    counts = InstructionCounts(inputs, tuple(bins.get(b, 0) for b in range(max(bins, default=0) + 1)), tuple(segments))
    if total is None or counts.total != total:
        raise EdgeNNError(out, "the counting plugin wrote an incomplete result")
    return counts


def instructions_between(elf: Path, begin: str, end: str, workdir: Path, target_name: str = "cortex-m4") -> int:
    """Guest instructions executed between calls to the functions `begin` and `end`, summed over the run.

    The firmware runs under QEMU on the target's first board in `workdir` (its input files there)
    with our counting plugin (edgenn/firmware/tools/insn_count.c), built beside the ELF on first use.
    """
    return plugin_counts(emulator(elf, target_name), elf, begin, end, workdir, target_name=target_name).total


def instruction_counts(
    folder: Path, inputs: np.ndarray, marks: dict[int, int] | None = None, target_name: str = "cortex-m4"
) -> InstructionCounts:
    """Run the device build of `folder` on `inputs` under QEMU and count what each invocation executes.

    The count covers each invocation between the runner's two marker calls (input copy-in and
    output copy-out included). `count_instructions` and the profiler both count through here.
    """
    require_tools(target_name)
    folder = Path(folder)
    command = firmware_command(folder, target_name)
    elf = build_dir(folder, target_name) / "runner.elf"
    x = prepare_inputs(folder, np.asarray(inputs))
    count = x.size // int(np.prod(tuple(manifest(folder)["input"]["shape"])))
    if count == 0:
        raise DataError(None, "no inputs to count instructions on")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "inputs.bin").write_bytes(np.ascontiguousarray(x).tobytes())
        return plugin_counts(command, elf, "edgenn_bench_begin", "edgenn_bench_end", tmp, marks, count, target_name)


def count_instructions(folder: Path, inputs: np.ndarray, target_name: str = "cortex-m4") -> float:
    """Guest instructions per inference on an emulated core (the Cortex-M4 by default), counted by a QEMU plugin.

    The count covers each invocation between the runner's two marker calls (input copy-in and
    output copy-out included), averaged over the inputs.
    """
    return instruction_counts(folder, inputs, target_name=target_name).per_inference
