"""libFuzzer on the generated C: any input bytes through a model, under AddressSanitizer and UBSan.

For each model: generate its C (edgenn codegen), write a fuzz target whose LLVMFuzzerTestOneInput
copies the fuzzer's bytes into the model's input (zero-padded or cut to <NAME>_INPUT_SIZE values)
and calls <name>_invoke, compile it with the model's sources using
`clang -fsanitize=fuzzer,address,undefined`, and fuzz for a fixed time. A sanitizer report, a
non-zero status from the model, a hang or a crash stops the fuzzer and leaves the input that caused
it (crash-*, timeout-*, leak-*) in the model's work folder.

Usage: python benchmarks/libfuzzer.py [MODEL.tflite ...] [--seconds 60] [--workdir DIR]
With no model: every TFLM example edgenn supports, plus build/digits_cnn/model_int8.tflite if present.
One line per model; exit status 1 when a fuzzer found something, 2 when a named model could not be fuzzed.
Needs clang with its sanitizer runtimes (Debian: apt-get install clang libclang-rt-dev).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edgenn import layout  # noqa: E402
from edgenn.errors import EdgeNNError, UnsupportedError  # noqa: E402
from edgenn.export.codegen import codegen  # noqa: E402
from edgenn.toolchain import manifest, model_sources  # noqa: E402

SHARED = Path(os.environ.get("EDGENN_SHARED", REPO.parent / "shared")) / "models" / "tflm-examples"
SANITIZE = "-fsanitize=fuzzer,address,undefined"
CFLAGS = ["-std=c99", "-O2", "-g", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"]
ARTIFACTS = ("crash-", "timeout-", "leak-", "oom-")
UNIT_TIMEOUT_S = 10  # one inference taking longer than this is reported as a hang

TARGET = """\
/* libFuzzer target: the fuzzer's bytes become the model's input, zero-padded or cut to its size. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "{header}"

static {in_t} input[{prefix}_INPUT_SIZE];
static {out_t} output[{prefix}_OUTPUT_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {{
    size_t n = size < sizeof input ? size : sizeof input;
    memset(input, 0, sizeof input);
    memcpy(input, data, n);
    if ({name}_invoke(input, output) != 0) {{
        abort(); /* the model has no input it may refuse */
    }}
    return 0;
}}
"""


def entry_points(header: str) -> dict[str, str]:
    """The invoke function, its input and output C types, and the size macros' prefix from a generated header."""
    invoke = re.search(r"^int (\w+)_invoke\(const (\w+) \*input, (\w+) \*output\);$", header, re.M)
    size = re.search(r"^#define (\w+)_INPUT_SIZE (\d+)$", header, re.M)
    if invoke is None or size is None:
        raise EdgeNNError(None, "the model's header declares no <name>_invoke or no <NAME>_INPUT_SIZE")
    return {
        "name": invoke.group(1),
        "in_t": invoke.group(2),
        "out_t": invoke.group(3),
        "prefix": size.group(1),
        "input_size": size.group(2),
    }


def input_bytes(io: dict[str, str]) -> int:
    return int(io["input_size"]) * {"int8_t": 1, "uint8_t": 1, "int16_t": 2}.get(io["in_t"], 4)


def build_fuzzer(folder: Path, workdir: Path) -> tuple[Path, dict[str, str]]:
    """Write the fuzz target beside the generated folder and link it with the model's sources (as the
    host build lists them: the manifest's sources and kernels)."""
    clang = shutil.which("clang")
    if clang is None:
        raise EdgeNNError(None, "clang not found: install it (Debian: apt-get install clang libclang-rt-dev)")
    header = manifest(folder)["header"]
    io = entry_points((folder / header).read_text())
    target = workdir / "fuzz_target.c"
    target.write_text(TARGET.format(header=header, **io))
    sources = [*model_sources(folder), target]
    exe = workdir / "fuzzer"
    cmd = [clang, SANITIZE, *CFLAGS, f"-I{folder}", *map(str, sources), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise EdgeNNError(folder, "fuzzer build failed: " + " | ".join(proc.stderr.strip().splitlines()[:6]))
    return exe, io


def seed_corpus(corpus: Path, size: int) -> None:
    """Start from the extremes: all -128, all 127, all 0 (as int8 bytes)."""
    corpus.mkdir(parents=True, exist_ok=True)
    for name, byte in (("all_min", 0x80), ("all_max", 0x7F), ("all_zero", 0x00)):
        (corpus / name).write_bytes(bytes([byte]) * size)


def fuzz_model(model_path: Path, seconds: int, workdir: Path) -> dict:
    """Fuzz the generated C of `model_path` for `seconds`; returns runs executed, crashes found and seconds spent.

    libFuzzer stops at its first finding, so `crashes` is 0 or 1; `artifacts` names the saved input.
    """
    model_path, workdir = Path(model_path), Path(workdir).resolve()
    existed = workdir.exists()
    workdir.mkdir(parents=True, exist_ok=True)
    for old in workdir.iterdir():
        if old.name.startswith(ARTIFACTS):
            old.unlink()
    shutil.rmtree(workdir / "corpus", ignore_errors=True)  # every run starts from the same seeds
    start = time.perf_counter()
    try:
        folder = codegen(model_path, workdir / "c")
    except EdgeNNError:
        if not existed:
            shutil.rmtree(workdir)  # a refused model leaves nothing behind
        raise
    exe, io = build_fuzzer(folder, workdir)
    build_s = time.perf_counter() - start
    size = input_bytes(io)
    corpus = workdir / "corpus"
    seed_corpus(corpus, size)
    cmd = [
        str(exe),
        str(corpus),
        f"-max_total_time={seconds}",
        f"-max_len={size}",
        f"-timeout={UNIT_TIMEOUT_S}",
        f"-artifact_prefix={workdir}/",
        "-print_final_stats=1",
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=seconds + 300)
    spent = time.perf_counter() - start
    (workdir / "fuzzer.log").write_text(proc.stderr)
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", proc.stderr)
    artifacts = sorted(str(p) for p in workdir.iterdir() if p.name.startswith(ARTIFACTS))
    if runs is None or (proc.returncode != 0 and not artifacts):
        tail = " | ".join(proc.stderr.strip().splitlines()[-6:])
        raise EdgeNNError(exe, f"the fuzzer did not run to the end (status {proc.returncode}): {tail}")
    return {
        "model": model_path.stem,
        "runs": int(runs.group(1)),
        "crashes": len(artifacts),
        "seconds": round(spent, 1),
        "build_seconds": round(build_s, 1),
        "input_bytes": size,
        "exit_status": proc.returncode,
        "artifacts": artifacts,
    }


def default_models() -> list[Path]:
    found = sorted(SHARED.glob("*.tflite")) if SHARED.is_dir() else []
    digits = REPO / "build" / "digits_cnn" / layout.TFLITE_INT8
    return found + ([digits] if digits.is_file() else [])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", type=Path, help="int8 .tflite files (default: the TFLM examples, digits)")
    ap.add_argument("--seconds", type=int, default=60, help="fuzzing time per model")
    ap.add_argument("--workdir", type=Path, default=REPO / "build" / "libfuzzer", help="one folder per model in here")
    args = ap.parse_args()
    paths = args.models or default_models()
    if not paths:
        sys.exit(f"no models: pass MODEL.tflite, or provide {SHARED} or build/digits_cnn")
    found = failed = 0
    for path in paths:
        name = path.parent.name if path.name == layout.TFLITE_INT8 else path.stem
        try:
            r = fuzz_model(path, args.seconds, args.workdir / name)
        except UnsupportedError as e:
            # The default list holds every example; the ones edgenn refuses (SVDF, float) are only named.
            failed += bool(args.models)
            print(f"{name}: not fuzzed, edgenn refuses it ({e.message.split(';')[0]})", flush=True)
            continue
        except EdgeNNError as e:
            failed += 1
            print(f"{name}: error: {e}", flush=True)
            continue
        found += r["crashes"]
        rate = r["runs"] / r["seconds"] if r["seconds"] else 0.0
        line = (
            f"{name}: {r['runs']:,} runs in {r['seconds']:.1f} s ({rate:,.0f}/s, {r['input_bytes']} input bytes), "
            f"{r['crashes']} crashes"
        )
        print(line + (f": {', '.join(r['artifacts'])}" if r["artifacts"] else ""), flush=True)
    sys.exit(1 if found else 2 if failed else 0)


if __name__ == "__main__":
    main()
