"""Speed of the generated C against TFLM, measured side by side in one run.

For each model: host time per inference of our compiled C (gcc -O2, one process, many
invocations) against the tflite_micro interpreter (TFLM's reference kernels) on the same inputs,
as a ratio; whether the outputs are bit-exact (host, and the Cortex-M4 build under QEMU); and on
the emulated Cortex-M4, executed instructions per inference (a QEMU plugin counts them:
deterministic) and MACs per instruction, for the plain-C kernels and with the DSP extension, whose
count goes through the profiler (`edgenn profile`), with its cycle estimate (docs/cost-model.md).

Usage: python benchmarks/speed.py [--inputs N] [--models digits_cnn,person_detect,...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edgenn import layout, toolchain  # noqa: E402
from edgenn.console import native_quiet  # noqa: E402
from edgenn.export.codegen import codegen  # noqa: E402
from edgenn.graph.tflite import read_tflite  # noqa: E402
from edgenn.profile import benchmark_inputs, profile_folder  # noqa: E402
from edgenn.reference import macs  # noqa: E402

SHARED = REPO.parent / "shared" / "models" / "tflm-examples"


def models() -> dict[str, Path]:
    digits = REPO / "build" / "digits_cnn"
    if not (digits / layout.TFLITE_INT8).is_file():
        subprocess.run(
            [sys.executable, "-m", "edgenn", "run", str(REPO / "models" / "digits_cnn.toml"), "-o", str(digits)],
            check=True,
        )
    found = {"digits_cnn": digits / layout.TFLITE_INT8}
    for name in ("hello_world_int8", "micro_speech_quantized", "person_detect"):
        if (SHARED / f"{name}.tflite").is_file():
            found[name] = SHARED / f"{name}.tflite"
    return found


def tflm_time(data: bytes, x: np.ndarray, passes: int = 3) -> tuple[np.ndarray, float]:
    from tflite_micro import runtime

    with native_quiet():
        it = runtime.Interpreter.from_bytes(data, arena_size=max(4 << 20, 16 * len(data)))
    best, outs = float("inf"), []
    for _ in range(passes):
        outs = []
        start = time.perf_counter()
        for sample in x:
            it.set_input(sample, 0)
            it.invoke()
            outs.append(it.get_output(0).copy())
        best = min(best, time.perf_counter() - start)
    return np.stack(outs), 1e9 * best / len(x)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=20, help="random int8 inputs per model")
    ap.add_argument("--m4-inputs", type=int, default=2, help="inputs per model for the Cortex-M4 count")
    ap.add_argument("--models", default="", help="comma-separated subset")
    args = ap.parse_args()
    chosen = models()
    if args.models:
        chosen = {k: v for k, v in chosen.items() if k in args.models.split(",")}

    rows = []
    for name, path in chosen.items():
        graph = read_tflite(path)
        x = benchmark_inputs(graph.input_tensor().shape, graph.input_tensor().dtype, args.inputs)
        with tempfile.TemporaryDirectory() as tmp:
            folder = codegen(path, Path(tmp) / "c", name=name)
            toolchain.build(folder, "host")
            want, tflm_ns = tflm_time(path.read_bytes(), x)
            got, _ = toolchain.run(folder, x, "host")
            repeat = max(3, int(1e8 // max(1, macs(graph))))  # enough work per input to time reliably
            _, ours_ns = toolchain.run(folder, x, "host", repeat=repeat)
            exact = bool(np.array_equal(got.reshape(want.shape), want))
            toolchain.build(folder, "cortex-m4", dsp=False)
            plain = toolchain.count_instructions(folder, x[: args.m4_inputs])
            # the profiler builds with DSP and counts through the same path as count_instructions
            prof = profile_folder(folder, graph, x[: args.m4_inputs], dsp=True)
            dsp, cycles = prof["total"]["instructions"], prof["total"]["cycles"]
            m4 = toolchain.built(folder, "cortex-m4")
            m4_out, _ = toolchain.run(folder, x[: args.m4_inputs], "cortex-m4")
            m4_want = want[: args.m4_inputs]
            exact = exact and bool(np.array_equal(m4_out.reshape(m4_want.shape), m4_want))
        n_macs = macs(graph)
        rows.append(
            {
                "model": name,
                "MACs": f"{n_macs:,}",
                "TFLM µs": f"{tflm_ns / 1e3:.1f}",
                "edgenn C µs": f"{ours_ns / 1e3:.1f}",
                "speed-up": f"{tflm_ns / ours_ns:.1f}×",
                "bit-exact": "yes" if exact else "NO",
                "M4 instr, plain C": f"{plain:,.0f}",
                "MACs/instr, plain": f"{n_macs / plain:.3f}",
                "M4 instr, DSP": f"{dsp:,.0f}",
                "MACs/instr, DSP": f"{n_macs / dsp:.3f}",
                "M4 cycles est., DSP": f"{cycles:,.0f}",
                "M4 flash B": f"{m4.flash_bytes:,}",
                "M4 RAM B": f"{m4.ram_bytes:,}",
            }
        )

    print(
        f"host: gcc -O2, {args.inputs} random int8 inputs per model; Cortex-M4: arm-none-eabi-gcc -O2, "
        f"QEMU mps2-an386, {args.m4_inputs} inputs"
    )
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * (len(cols) - 1))
    for r in rows:
        print("| " + " | ".join(r[c] for c in cols) + " |")


if __name__ == "__main__":
    main()
