"""Speed of the generated C against TFLM, measured side by side in one run.

For each model (the digits recipe build, TFLM's examples, and the MLPerf Tiny shapes of
benchmarks/zoo.py): host time per inference of our compiled C (gcc -O2 -march=native, one process,
many invocations, the best of three runs) against the tflite_micro interpreter (TFLM's reference
kernels) on the same inputs, as a ratio; whether the outputs are bit-exact (host, the Cortex-M4 and
the Cortex-M55 builds under QEMU); on the emulated Cortex-M4, executed instructions per inference (a
QEMU plugin counts them: deterministic) and MACs per instruction, for the plain-C kernels and with
the DSP extension, whose count goes through the profiler (`edgenn profile`), with its cycle estimate
(docs/cost-model.md); MACs per instruction on the Cortex-M55 (Helium); flash, RAM and the kernels'
share of the flash.

Then DS-CNN layer by layer (from the profiler) beside CMSIS-NN's figures for the same layer shapes.
CMSIS-NN is not shipped or built here: its figures (CMSIS_NN below) were measured with the same
QEMU instruction counter on CMSIS-NN's kernels for these shapes (Cortex-M4 with DSP and Cortex-M55
with MVE, arm-none-eabi-gcc 12 -Ofast, outputs checked against a TFLite-style reference).

Usage: python benchmarks/speed.py [--inputs N] [--models digits_cnn,dscnn_kws,...] [--layers]
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

sys.path.insert(0, str(REPO / "benchmarks"))
from zoo import zoo  # noqa: E402

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


def all_models() -> dict[str, Path]:
    """models() and the MLPerf Tiny shapes of benchmarks/zoo.py."""
    return {**models(), **zoo()}


# CMSIS-NN's MACs per instruction on DS-CNN's layer shapes (see the module's docstring): the
# profiler's op kinds in the order the model runs them, each with its figure.
CMSIS_NN = {
    "cortex-m4": {"conv 10×4 s2, 1→64": 0.288, "depthwise 3×3×64": 0.120, "pointwise 64→64": 0.479, "FC 64→12": 0.353},
    "whole": {"cortex-m4": 0.325, "cortex-m55": 1.372},
}


def dscnn_kind(layer: dict, first_conv: bool) -> str | None:
    """Which of CMSIS_NN's DS-CNN layer shapes a profiled layer is."""
    op = layer["op"]
    if op == "CONV_2D":
        return "conv 10×4 s2, 1→64" if first_conv else "pointwise 64→64"
    return {"DEPTHWISE_CONV_2D": "depthwise 3×3×64", "FULLY_CONNECTED": "FC 64→12"}.get(op)


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
    ap.add_argument("--m4-inputs", type=int, default=2, help="inputs per model for the device counts")
    ap.add_argument("--models", default="", help="comma-separated subset")
    ap.add_argument("--layers", action="store_true", help="print every model's layers too")
    args = ap.parse_args()
    chosen = all_models()
    if args.models:
        chosen = {k: v for k, v in chosen.items() if k in args.models.split(",")}

    rows, profiles, m55_ratio = [], {}, {}
    for name, path in chosen.items():
        graph = read_tflite(path)
        x = benchmark_inputs(graph.input_tensor().shape, graph.input_tensor().dtype, args.inputs)
        with tempfile.TemporaryDirectory() as tmp:
            folder = codegen(path, Path(tmp) / "c", name=name)
            toolchain.build(folder, "host")
            want, tflm_ns = tflm_time(path.read_bytes(), x)
            got, _ = toolchain.run(folder, x, "host")
            repeat = max(3, int(1e8 // max(1, macs(graph))))  # enough work per input to time reliably
            # the best of three runs, as tflm_time takes the best of three passes
            ours_ns = min(toolchain.run(folder, x, "host", repeat=repeat)[1] for _ in range(3))
            exact = bool(np.array_equal(got.reshape(want.shape), want))
            toolchain.build(folder, "cortex-m4", dsp=False)
            plain = toolchain.count_instructions(folder, x[: args.m4_inputs])
            # the profiler builds with DSP and counts through the same path as count_instructions
            prof = profile_folder(folder, graph, x[: args.m4_inputs], dsp=True)
            profiles[name] = prof
            dsp, cycles = prof["total"]["instructions"], prof["total"]["cycles"]
            m4 = toolchain.built(folder, "cortex-m4")
            m4_want = want[: args.m4_inputs]
            for target in ("cortex-m4", "cortex-m55"):
                if target == "cortex-m55":
                    toolchain.build(folder, target)
                    m55 = toolchain.count_instructions(folder, x[: args.m4_inputs], target_name=target)
                dev_out, _ = toolchain.run(folder, x[: args.m4_inputs], target)
                exact = exact and bool(np.array_equal(dev_out.reshape(m4_want.shape), m4_want))
        n_macs = macs(graph)
        m55_ratio[name] = n_macs / m55
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
                "M55 MACs/instr": f"{n_macs / m55:.3f}",
                "M4 flash B": f"{m4.flash_bytes:,}",
                "kernel code B": f"{m4.kernel_text:,}",
                "M4 RAM B": f"{m4.ram_bytes:,}",
            }
        )

    print(
        f"host: gcc -O2 -march=native, {args.inputs} random int8 inputs per model; Cortex-M4: arm-none-eabi-gcc -O2, "
        f"QEMU mps2-an386; Cortex-M55: QEMU mps3-an547; {args.m4_inputs} inputs on each core"
    )
    table(rows)
    if "dscnn_kws" in profiles:
        print("\nDS-CNN (MLPerf Tiny KWS) layer by layer on the Cortex-M4 with DSP, beside CMSIS-NN on the same shapes")
        table(dscnn_rows(profiles["dscnn_kws"], m55_ratio["dscnn_kws"]))
    if args.layers:
        for name, prof in profiles.items():
            print(f"\n{name}, layer by layer on the Cortex-M4 with DSP")
            table(layer_rows(prof))


def table(rows: list[dict[str, str]]) -> None:
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * (len(cols) - 1))
    for r in rows:
        print("| " + " | ".join(r[c] for c in cols) + " |")


def layer_rows(prof: dict) -> list[dict[str, str]]:
    return [
        {
            "op": str(layer["index"]),
            "layer": layer["op"],
            "MACs": f"{layer['macs']:,}",
            "instructions": f"{layer['instructions']:,.0f}",
            "MACs/instr": "—" if layer["macs_per_instruction"] is None else f"{layer['macs_per_instruction']:.3f}",
            "share": f"{100 * layer['share']:.1f}%",
        }
        for layer in prof["layers"]
    ]


def dscnn_rows(prof: dict, m55: float) -> list[dict[str, str]]:
    """Each DS-CNN layer CMSIS_NN has a figure for, then the whole model on the M4 and the M55."""
    rows, seen_conv = [], False
    for layer in prof["layers"]:
        kind = dscnn_kind(layer, first_conv=not seen_conv)
        seen_conv = seen_conv or layer["op"] == "CONV_2D"
        if kind is None:
            continue
        ours, theirs = layer["macs_per_instruction"], CMSIS_NN["cortex-m4"][kind]
        rows.append(
            {
                "layer": f"op {layer['index']}: {kind}",
                "edgenn MACs/instr": f"{ours:.3f}",
                "CMSIS-NN MACs/instr": f"{theirs:.3f}",
                "edgenn ÷ CMSIS-NN": f"{ours / theirs:.2f}×",
            }
        )
    whole = prof["total"]["macs_per_instruction"]
    for core, ours in (("cortex-m4", whole), ("cortex-m55", m55)):
        theirs = CMSIS_NN["whole"][core]
        rows.append(
            {
                "layer": f"whole model, {core}",
                "edgenn MACs/instr": f"{ours:.3f}",
                "CMSIS-NN MACs/instr": f"{theirs:.3f}",
                "edgenn ÷ CMSIS-NN": f"{ours / theirs:.2f}×",
            }
        )
    return rows


if __name__ == "__main__":
    main()
