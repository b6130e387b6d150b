"""Keyword-spotting firmware: int16 clips -> MFCC (C frontend) -> int8 features -> generated int8 model -> label.

`build_kws(build_dir, target)` compiles a build directory's generated model (`c/`, from `edgenn codegen`),
the C frontend for the recipe's `[frontend]` (written into `c/frontend`) with CMSIS-DSP's sources, and the
harness edgenn/firmware/kws/kws_runner.c, into `c/build-kws-<target>/kws_runner.elf`. `run_kws` runs it on clips and
returns the labels; `run_kws_io` also returns the int8 inputs the model ran on and its outputs.

The firmware quantizes features exactly as the Python pipeline does before it runs an int8 model
(`edgenn.graph.quant.quantize`: float32 quotient by the scale, rounding half to even, zero point,
saturation), so its labels are those of the Python pipeline (TFLM on the Python features) unless a C and
a Python feature straddle a rounding boundary of the input quantization.

    python -m edgenn.frontend.kws BUILD_DIR --target host|cortex-m4 [--clips CLIPS.npy]

prints how many labels agree with the Python pipeline's (by default on the build's test clips).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgenn import layout
from edgenn.clib import FIRMWARE
from edgenn.errors import BuildDirError, DataError, EdgeNNError
from edgenn.export.cgen import C_TYPES
from edgenn.frontend.csrc import cmsis_dsp_root, sha256, write_frontend
from edgenn.graph.tflite import NUMPY_DTYPES
from edgenn.toolchain import emulator, execute, float_make_vars, instructions_between, manifest, require_tools

MAKEFILE_DIR = FIRMWARE / "kws"
FRONTEND_DIR = "frontend"  # inside the build's C folder
RUNNER = "kws_runner.elf"
MAP = "kws.map"
CONFIG = "kws_build.json"  # the make variables a build was made with; another set starts it afresh
PARTS = ("model", "frontend", "cmsis_dsp", "libm", "runner", "libraries")
MODEL_AND_FRONTEND = ("model", "frontend", "cmsis_dsp", "libm")


def firmware_dir(build_dir: Path, target: str) -> Path:
    return Path(build_dir) / layout.C_DIR / f"build-kws-{target}"


def frontend_spec(build_dir: Path):
    """The `[frontend]` of the build's recipe copy; an error when it is not an audio frontend."""
    from edgenn.recipe import load_recipe

    path = layout.BuildDir(build_dir).require(layout.RECIPE_COPY)
    spec = load_recipe(path).frontend
    if spec.kind != "mfcc":
        raise BuildDirError(path, f"the recipe's frontend is {spec.kind!r}: keyword-spotting firmware needs 'mfcc'")
    return spec


def model_folder(build_dir: Path) -> Path:
    """The build's generated model folder, generated again when missing or made from another model_int8.tflite."""
    from edgenn.export.bundles import packages
    from edgenn.export.codegen import MANIFEST, codegen

    build_dir = Path(build_dir)
    folder = build_dir / layout.C_DIR
    tflite = layout.BuildDir(build_dir).require(layout.TFLITE_INT8)
    current = (folder / MANIFEST).is_file() and manifest(folder).get("source_sha256") == sha256(tflite)
    if not current:
        codegen(build_dir, packages=packages(("cmake",)))  # as `edgenn run` writes it
    return folder


def build_kws(build_dir: Path, target: str = "host", dsp: bool = True) -> Path:
    """Compile the keyword-spotting firmware of a build directory for `target`; returns the ELF's path.

    Writes (or refreshes) the frontend folder `c/frontend` from the recipe copy's `[frontend]`, regenerates
    `c/` when it is missing or stale, and rebuilds only what changed. `dsp` enables the Cortex-M4 SIMD paths
    of the model's kernels (they give the same bytes either way).
    """
    build_dir = Path(build_dir)
    require_tools(target)
    spec = frontend_spec(build_dir)
    folder = model_folder(build_dir)
    m = manifest(folder)
    if m["input"]["dtype"] != "int8" or not m["input"]["scale"]:
        raise BuildDirError(folder, f"the model's input is {m['input']['dtype']}: the firmware feeds an int8 model")
    if int(np.prod(m["input"]["shape"])) != spec.frames * spec.mfcc_coefficients:
        raise BuildDirError(
            folder, f"the model takes {m['input']['shape']}, the frontend gives {list(spec.feature_shape)} features"
        )
    frontend = write_frontend(spec, folder / FRONTEND_DIR)
    out = firmware_dir(build_dir, target)
    variables = {
        **dict(v.split("=", 1) for v in float_make_vars(target)),
        "MODEL": str(folder.resolve()),
        "MODEL_SRCS": " ".join((*m["sources"], *m["kernels"])),
        "FRONTEND": str(frontend.resolve()),
        "CMSISDSP": str(cmsis_dsp_root()),
        "NAME": m["name"],
        "PREFIX": m["prefix"],
        "OUT_T": C_TYPES[m["output"]["dtype"]],
        "OUT": str(out.resolve()),
        "DSP": str(int(dsp)),
    }
    config = out / CONFIG
    if out.is_dir() and (not config.is_file() or json.loads(config.read_text()) != variables):
        shutil.rmtree(out)
    cmd = ["make", "-s", "-C", str(MAKEFILE_DIR), *(f"{k}={v}" for k, v in variables.items())]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        errors = [line for line in lines if "error" in line.lower()] or lines
        raise EdgeNNError(folder, "keyword-spotting firmware compilation failed: " + " | ".join(errors[:6]))
    config.write_text(json.dumps(variables, indent=2) + "\n")
    return out / RUNNER


@dataclass(frozen=True)
class KwsRun:
    """What a run gives per clip: from the firmware (`run_kws_io`) or from the Python pipeline (`python_pipeline`)."""

    labels: np.ndarray  # (N,) int32
    inputs: np.ndarray  # (N, input size) int8: the codes the model ran on
    outputs: np.ndarray  # (N, output size): the model's raw outputs
    ns_per_clip: dict[str, float] | None  # host only: "frontend" (with the quantization), "model", "total"


def _elf(build_dir: Path, target: str) -> Path:
    require_tools(target)
    elf = firmware_dir(build_dir, target) / RUNNER
    if not elf.is_file():
        raise BuildDirError(elf, f"missing: build the keyword-spotting firmware for {target} first (build_kws)")
    return elf


def _clips(build_dir: Path, clips: np.ndarray) -> np.ndarray:
    samples = frontend_spec(build_dir).clip_samples
    clips = np.asarray(clips)
    if clips.ndim != 2 or clips.shape[1] != samples or clips.dtype != np.int16:
        raise DataError(None, f"expected (N, {samples}) int16 clips, got {clips.shape} {clips.dtype}")
    return clips


def run_kws_io(build_dir: Path, clips: np.ndarray, target: str = "host") -> KwsRun:
    """Run the built firmware on (N, clip_samples) int16 clips: labels, int8 inputs and outputs of each."""
    build_dir = Path(build_dir)
    elf = _elf(build_dir, target)
    clips = _clips(build_dir, clips)
    m = manifest(build_dir / layout.C_DIR)
    in_size = int(np.prod(m["input"]["shape"]))
    out_size = int(np.prod(m["output"]["shape"]))
    out_dtype = np.dtype(NUMPY_DTYPES[m["output"]["dtype"]])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "clips.bin").write_bytes(np.ascontiguousarray(clips, dtype="<i2").tobytes())
        if target == "host":
            cmd = [str(elf.resolve()), "clips.bin", "labels.bin", "inputs.bin", "outputs.bin"]
        else:  # the start-up passes no arguments: the runner's defaults are these same names
            cmd = emulator(elf, target)
        proc = execute(cmd, tmp, elf)
        labels = np.fromfile(tmp / "labels.bin", dtype="<i4")
        inputs = np.fromfile(tmp / "inputs.bin", dtype=np.int8)
        outputs = np.fromfile(tmp / "outputs.bin", dtype=out_dtype)
    n = len(clips)
    if labels.size != n or inputs.size != n * in_size or outputs.size != n * out_size:
        raise EdgeNNError(elf, f"firmware wrote {labels.size} labels for {n} clips")
    ns = {}
    for line in proc.stderr.splitlines():
        key, _, value = line.partition(" ")
        if key.startswith("ns_per_clip"):
            ns[key.removeprefix("ns_per_clip").lstrip("_") or "total"] = float(value)
    return KwsRun(labels.astype(np.int32), inputs.reshape(n, in_size), outputs.reshape(n, out_size), ns or None)


def run_kws(build_dir: Path, clips: np.ndarray, target: str = "host") -> np.ndarray:
    """Labels (N,) int32 the built firmware gives (N, clip_samples) int16 clips."""
    return run_kws_io(build_dir, clips, target).labels


# ---------------------------------------------------------------------------------------------------------------
# Footprint and instruction counts

_INPUT_SECTION = re.compile(r"^ (\.\S+|COMMON)(?:\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*))?$")
_CONTINUATION = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")


def _kind(section: str) -> str | None:
    """Where an input section's bytes go: "text" (flash), "data" (flash and RAM), "bss" (RAM), or None."""
    if section.startswith((".text", ".rodata", ".ARM.exidx", ".ARM.extab", ".vectors")):
        return "text"
    if section.startswith(".data"):
        return "data"
    if section.startswith((".bss", "COMMON")):
        return "bss"
    return None


def _part(obj: str, out: Path) -> str:
    out = str(out.resolve())
    for prefix, part in (
        ("/model/", "model"),
        ("/frontend/", "frontend"),
        ("/cmsis/", "cmsis_dsp"),
        ("/runner/", "runner"),
    ):
        if obj.startswith(out + prefix):
            return part
    return "libm" if "/libm.a(" in obj else "libraries"


def linked_sections(map_path: Path) -> list[tuple[str, str, int]]:
    """(input section, object file, bytes) of every input section the link kept, from a GNU ld map file."""
    text = Path(map_path).read_text(errors="replace")
    start = text.find("Linker script and memory map")
    if start < 0:
        raise EdgeNNError(map_path, "not a GNU ld map file")
    rows = []
    pending = None
    for line in text[start:].splitlines():
        if pending is not None:
            cont = _CONTINUATION.match(line)
            if cont:
                rows.append((pending, cont.group(3).strip(), int(cont.group(2), 16)))
            pending = None
            continue
        match = _INPUT_SECTION.match(line)
        if not match:
            continue
        if match.group(2) is None:
            pending = match.group(1)
        else:
            rows.append((match.group(1), match.group(4).strip(), int(match.group(3), 16)))
    return rows


def footprint(build_dir: Path, target: str = "cortex-m4") -> dict[str, dict[str, int]]:
    """Bytes the linked firmware keeps, per part, from its link map (so after unused sections are dropped).

    Parts: "model" (model.c and its kernels), "frontend" (the generated tables and API), "cmsis_dsp",
    "libm" (logf, sqrtf and what they need; nothing on the host, where libm is a shared library), "runner"
    (harness and start-up), "libraries" (the C library, mostly the harness's stdio), and "model+frontend",
    the sum of the first four: what an application adds to its own code. Each has "text" (code and
    constants: flash), "data" (initialised: flash and RAM), "bss" (RAM), "flash_bytes" (text + data) and
    "ram_bytes" (data + bss; stack not included).
    """
    out = firmware_dir(build_dir, target)
    path = out / MAP
    if not path.is_file():
        raise BuildDirError(path, f"missing: build the keyword-spotting firmware for {target} first (build_kws)")
    sizes = {part: {"text": 0, "data": 0, "bss": 0} for part in PARTS}
    for section, obj, size in linked_sections(path):
        kind = _kind(section)
        if kind is not None and size:
            sizes[_part(obj, out)][kind] += size
    sizes["model+frontend"] = {k: sum(sizes[p][k] for p in MODEL_AND_FRONTEND) for k in ("text", "data", "bss")}
    for entry in sizes.values():
        entry["flash_bytes"] = entry["text"] + entry["data"]
        entry["ram_bytes"] = entry["data"] + entry["bss"]
    return sizes


def count_kws_instructions(build_dir: Path, clips: np.ndarray) -> dict[str, float]:
    """Guest instructions per clip on the emulated Cortex-M4, counted by a QEMU plugin (edgenn/firmware/tools).

    "frontend": MFCC and quantization of the features; "model": the model and the argmax; "total": both.
    """
    build_dir = Path(build_dir)
    elf = _elf(build_dir, "cortex-m4")
    clips = _clips(build_dir, clips)
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "clips.bin").write_bytes(np.ascontiguousarray(clips, dtype="<i2").tobytes())
        for part, (begin, end) in (("frontend", ("begin", "frontend_end")), ("model", ("model_begin", "end"))):
            counts[part] = instructions_between(elf, f"edgenn_bench_{begin}", f"edgenn_bench_{end}", tmp) / len(clips)
    counts["total"] = counts["frontend"] + counts["model"]
    return counts


# ---------------------------------------------------------------------------------------------------------------
# Agreement with the Python pipeline


def python_pipeline(build_dir: Path, features: np.ndarray) -> KwsRun:
    """What the Python pipeline computes from float features: TFLM's interpreter on the build's int8 model.

    `inputs` are the features quantized as every runner quantizes them (`edgenn.graph.quant.quantize`),
    `outputs` TFLM's raw int8 outputs, `labels` their argmax.
    """
    from edgenn.evaluate.runners import TFLMRunner
    from edgenn.graph.quant import quantize

    runner = TFLMRunner(Path(build_dir) / layout.TFLITE_INT8)
    outputs = runner.predict(features)
    inputs = quantize(features, runner.input_quant).reshape(len(features), -1)
    return KwsRun(outputs.argmax(axis=1).astype(np.int32), inputs, outputs, None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m edgenn.frontend.kws",
        description="Build the keyword-spotting firmware of a build directory, run it on clips and compare its "
        "labels with the Python pipeline's (TFLM on the Python MFCC features). Exit status 1 when a label differs.",
    )
    parser.add_argument("build_dir", type=Path)
    parser.add_argument("--target", choices=("host", "cortex-m4"), default="host")
    parser.add_argument("--clips", type=Path, help="(N, clip_samples) int16 .npy (default: the build's test clips)")
    parser.add_argument(
        "--count", type=int, default=0, metavar="N", help="cortex-m4: also count instructions per clip on N clips"
    )
    args = parser.parse_args(argv)
    try:
        from edgenn.data.splits import load_build_data

        elf = build_kws(args.build_dir, args.target)
        if args.clips is None:
            data = load_build_data(args.build_dir)
            if data.clips_test is None:
                raise BuildDirError(args.build_dir / layout.DATA, "holds no test clips (clips_test)")
            clips, features = data.clips_test, data.x_test
        else:
            from edgenn.frontend.mfcc import MfccFrontend

            clips = _clips(args.build_dir, np.load(args.clips, allow_pickle=False))
            features = MfccFrontend(frontend_spec(args.build_dir)).batch(clips)
        got = run_kws_io(args.build_dir, clips, args.target)
        want = python_pipeline(args.build_dir, features)
        counts = count_kws_instructions(args.build_dir, clips[: args.count]) if args.count > 0 else None
        sizes = footprint(args.build_dir, args.target)["model+frontend"]
    except EdgeNNError as exc:
        print(f"error: {exc.line()}", file=sys.stderr)
        return 2
    agree = int(np.sum(got.labels == want.labels))
    delta = got.inputs.astype(np.int16) - want.inputs.astype(np.int16)
    print(f"firmware: {elf}")
    print(f"labels: {agree}/{len(clips)} agree with the Python pipeline (TFLM on the Python features)")
    print(
        f"int8 input codes: {int(np.count_nonzero(delta))} of {delta.size} differ, in "
        f"{int(np.count_nonzero(delta.any(axis=1)))} clips; largest difference {int(np.abs(delta).max(initial=0))}"
    )
    if got.ns_per_clip:
        print("host ns per clip: " + ", ".join(f"{k} {v:.0f}" for k, v in got.ns_per_clip.items()))
    if counts:
        print("instructions per clip: " + ", ".join(f"{k} {v:.0f}" for k, v in counts.items()))
    print(
        f"model+frontend ({args.target}): flash {sizes['flash_bytes']} B (text {sizes['text']}, data "
        f"{sizes['data']}), RAM {sizes['ram_bytes']} B (bss {sizes['bss']}; stack not included)"
    )
    return 0 if agree == len(clips) else 1


if __name__ == "__main__":
    sys.exit(main())
