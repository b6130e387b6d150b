"""The generated C on every device target: instructions, MACs per instruction, footprint and bit-exactness.

For each model (the digits recipe build and TFLM's examples, as benchmarks/speed.py finds them) and
each device target of edgenn/targets.py: the QEMU board its build links for, guest instructions per
inference counted by edgenn's QEMU plugin (deterministic; input copy-in and output copy-out
included, as `edgenn profile` counts them), MACs per instruction, flash (text + data) and RAM
(data + bss, the arena) of the model's own objects, and whether the outputs of the run in QEMU
equal the tflite_micro interpreter's on the same random int8 inputs. Each target builds with its
own `-mcpu` flags, as `edgenn firmware build --target` does: the kernels take their DSP path where the core has
the extension.

Usage: python benchmarks/targets.py [--targets cortex-m4,riscv32,...] [--models micro_speech_quantized,...]
       [--inputs N] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from speed import models, tflm_time  # noqa: E402

from edgenn import toolchain  # noqa: E402
from edgenn.export.codegen import codegen  # noqa: E402
from edgenn.graph.tflite import read_tflite  # noqa: E402
from edgenn.profile import benchmark_inputs  # noqa: E402
from edgenn.reference import macs  # noqa: E402
from edgenn.targets import DEVICE_TARGETS  # noqa: E402

COLUMNS = ("model", "target", "QEMU board", "instr/inference", "MACs/instr", "flash B", "RAM B", "bit-exact")


def measure(folder: Path, target: str, x: np.ndarray, want: np.ndarray, n_macs: int) -> dict[str, str]:
    """Build `folder` for `target`, count its instructions on `x` and check its outputs against `want`."""
    b = toolchain.build(folder, target)
    instructions = toolchain.count_instructions(folder, x, target_name=target)
    got, _ = toolchain.run(folder, x, target)
    exact = bool(np.array_equal(got.reshape(want.shape), want))
    return {
        "target": target,
        "QEMU board": str(b.machine),
        "instr/inference": f"{instructions:,.0f}",
        "MACs/instr": f"{n_macs / instructions:.3f}",
        "flash B": f"{b.flash_bytes:,}",
        "RAM B": f"{b.ram_bytes:,}",
        "bit-exact": "yes" if exact else "NO",
    }


def chosen(option: str, known: list[str], what: str) -> list[str]:
    if not option:
        return known
    names = [n for n in option.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--targets", default="", help=f"comma-separated device targets (default: {','.join(DEVICE_TARGETS)})"
    )
    ap.add_argument("--models", default="", help="comma-separated subset of the models")
    ap.add_argument("--inputs", type=int, default=3, help="random int8 inputs per model")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="targets built and run at once")
    args = ap.parse_args()
    targets = chosen(args.targets, list(DEVICE_TARGETS), "targets")
    for t in targets:
        toolchain.require_tools(t)
    found = models()
    names = chosen(args.models, list(found), "models")

    start = time.perf_counter()
    rows = []
    for name in names:
        path = found[name]
        graph = read_tflite(path)
        n_macs = macs(graph)
        x = benchmark_inputs(graph.input_tensor().shape, graph.input_tensor().dtype, args.inputs)
        want, _ = tflm_time(path.read_bytes(), x, passes=1)
        with tempfile.TemporaryDirectory() as tmp:
            folder = codegen(path, Path(tmp) / "c", name=name)
            with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:  # one build folder per target
                jobs = [pool.submit(measure, folder, t, x, want, n_macs) for t in targets]
                measured = [job.result() for job in jobs]
        rows += [{"model": name, **r} for r in measured]
    seconds = time.perf_counter() - start

    print(f"$ python benchmarks/targets.py {shlex.join(sys.argv[1:])}".rstrip())
    print(
        f"{args.inputs} random int8 inputs per model; instructions counted in QEMU between the runner's markers; "
        "flash and RAM of the model's objects (gcc -O2); bit-exact: equal to TFLM on those inputs"
    )
    print("| " + " | ".join(COLUMNS) + " |")
    print("|---|---|---|" + "---:|" * 4 + "---|")
    for r in rows:
        print("| " + " | ".join(r[c] for c in COLUMNS) + " |")
    sys.stdout.flush()
    print(f"({seconds:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
