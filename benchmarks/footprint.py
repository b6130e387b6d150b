"""RAM and flash of the generated C against TFLM, per model, measured in one run.

RAM: the generated C's static .data + .bss for the model (arena included, input and output inside
it), from the compiled Cortex-M4 objects; TFLM: its tensor arena from the tflite_micro
interpreter's recording allocator. Beside it, the same C planned layer by layer (no row-streamed
chain) and both lower bounds: the layer-wise one (every layer on whole tensors) and the tiled one
(with the chosen chains' windows). Flash: the model objects' text + data (weights, constants,
kernel code) against the .tflite bytes + 22 KB (TFLM's published runtime size with the keyword
spotting ops), with the kernels built for speed (the default) and for flash (`--optimize size`).
Streaming overhead: Cortex-M4 instructions per inference (DSP kernels, QEMU's exact count, 2 random
inputs) of the streamed C over the layer-by-layer C, both bit-exact with TFLM.

Usage: python benchmarks/footprint.py
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from speed import SHARED, all_models  # noqa: E402

from edgenn import toolchain  # noqa: E402
from edgenn.analyze import analyze  # noqa: E402
from edgenn.evaluate.footprint import TFLM_RUNTIME_BYTES  # noqa: E402
from edgenn.export.codegen import generate  # noqa: E402
from edgenn.graph.tflite import read_tflite  # noqa: E402
from edgenn.profile import benchmark_inputs  # noqa: E402
from tests.kernels.harness import tflm_outputs  # noqa: E402

INPUTS = 2


def _m4(path: Path, name: str, stream: bool, x: np.ndarray, want: np.ndarray) -> tuple[int, float]:
    """(RAM bytes, instructions per inference) of the model's C on the Cortex-M4; checks TFLM's outputs."""
    gen = generate(read_tflite(path), name, "benchmarks/footprint.py", stream=stream)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "c"
        for rel, text in gen.files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
        built = toolchain.build(folder, "cortex-m4")
        got, _ = toolchain.run(folder, x, "cortex-m4")
        if not np.array_equal(got.reshape(want.shape), want):
            raise SystemExit(f"{name}: the {'streamed' if stream else 'layer-wise'} C differs from TFLM")
        return built.ram_bytes, toolchain.count_instructions(folder, x)


def main() -> None:
    rows, ratios, overheads = [], [], []
    # Beside the speed benchmark's int8 models: TFLM's SVDF example (int16 input, int8 SVDFs with their
    # state) and its float hello_world, which the speed benchmark's int8 inputs do not fit.
    extra = {n: SHARED / f"{n}.tflite" for n in ("keyword_scrambled_8bit", "hello_world_float")}
    for name, path in {**all_models(), **{n: p for n, p in extra.items() if p.is_file()}}.items():
        r = analyze(path)
        small = analyze(path, optimize="size")["flash_bytes"]
        if r["chains"]:
            graph = read_tflite(path)
            x = benchmark_inputs(graph.input_tensor().shape, graph.input_tensor().dtype)[:INPUTS]
            want = tflm_outputs(path.read_bytes(), x)
            ram, streamed = _m4(path, name, True, x, want)
            flat_ram, flat = _m4(path, name, False, x, want)
            assert ram == r["ram_bytes"]
            overhead = streamed / flat - 1
            overheads.append(overhead)
            extra_instr = f"{100 * overhead:+.2f}%"
        else:
            flat_ram, extra_instr = r["ram_bytes"], "no chain"
        ram_ratio = r["ram_bytes"] / r["tflm_arena_bytes"]
        tflm_flash = r["tflite_bytes"] + TFLM_RUNTIME_BYTES
        ratios.append(ram_ratio)
        rows.append(
            [
                name,
                f"{r['ram_bytes']:,}",
                f"{flat_ram:,}",
                f"{r['tflm_arena_bytes']:,}",
                f"{ram_ratio:.2f}",
                f"{r['ram_lower_bound_bytes']:,}",
                f"{r['layerwise_lower_bound_bytes']:,}",
                " + ".join(f"{c['ops'][0]}–{c['ops'][-1]}" for c in r["chains"]) or "—",
                extra_instr,
                f"{r['flash_bytes']:,}",
                f"{tflm_flash:,}",
                f"{r['flash_bytes'] / tflm_flash:.2f}",
                f"{small:,}",
                f"{small / tflm_flash:.2f}",
            ]
        )
    print(
        f"Cortex-M4 objects (arm-none-eabi-gcc -O2, DSP on); TFLM flash = .tflite + {TFLM_RUNTIME_BYTES:,} B; "
        f"instructions: QEMU's count over {INPUTS} random inputs, streamed C over layer-by-layer C"
    )
    cols = [
        "model",
        "edgenn RAM B",
        "layer by layer B",
        "TFLM arena B",
        "RAM ratio",
        "lower bound B",
        "layer-wise bound B",
        "streamed ops",
        "M4 instr. overhead",
        "edgenn flash B",
        ".tflite + 22 KB",
        "flash ratio",
        "flash, size build B",
        "size build ratio",
    ]
    print("| " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * 6 + "---|" + "---:|" * 6)
    for row in rows:
        print("| " + " | ".join(row) + " |")
    geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
    worst = f", worst streaming overhead {100 * max(overheads):+.2f}%" if overheads else ""
    print(f"RAM ratio: geometric mean {geo:.2f}, max {max(ratios):.2f}{worst}")


if __name__ == "__main__":
    main()
