"""RAM and flash of the generated C against TFLM, per model, measured in one run.

RAM: the generated C's static .data + .bss for the model (arena included, input and output inside
it), from the compiled Cortex-M4 objects; TFLM: its tensor arena from the tflite_micro
interpreter's recording allocator. Flash: the model objects' text + data (weights, constants,
kernel code) against the .tflite bytes + 22 KB (TFLM's published runtime size with the keyword
spotting ops).

Usage: python benchmarks/footprint.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from speed import SHARED, models  # noqa: E402

from edgenn.analyze import analyze  # noqa: E402
from edgenn.evaluate.footprint import TFLM_RUNTIME_BYTES  # noqa: E402


def main() -> None:
    rows, ratios = [], []
    # Beside the speed benchmark's int8 models: TFLM's SVDF example (int16 input, int8 SVDFs with their
    # state) and its float hello_world, which the speed benchmark's int8 inputs do not fit.
    extra = {n: SHARED / f"{n}.tflite" for n in ("keyword_scrambled_8bit", "hello_world_float")}
    for name, path in {**models(), **{n: p for n, p in extra.items() if p.is_file()}}.items():
        r = analyze(path)
        ram_ratio = r["ram_bytes"] / r["tflm_arena_bytes"]
        tflm_flash = r["tflite_bytes"] + TFLM_RUNTIME_BYTES
        ratios.append(ram_ratio)
        rows.append(
            [
                name,
                f"{r['ram_bytes']:,}",
                f"{r['tflm_arena_bytes']:,}",
                f"{ram_ratio:.2f}",
                f"{r['ram_lower_bound_bytes']:,}",
                f"{r['flash_bytes']:,}",
                f"{tflm_flash:,}",
                f"{r['flash_bytes'] / tflm_flash:.2f}",
            ]
        )
    print(f"Cortex-M4 objects (arm-none-eabi-gcc -O2, DSP on); TFLM flash = .tflite + {TFLM_RUNTIME_BYTES:,} B")
    cols = [
        "model",
        "edgenn RAM B",
        "TFLM arena B",
        "RAM ratio",
        "lower bound B",
        "edgenn flash B",
        ".tflite + 22 KB",
        "flash ratio",
    ]
    print("| " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * (len(cols) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
    print(f"RAM ratio: geometric mean {geo:.2f}, max {max(ratios):.2f}")


if __name__ == "__main__":
    main()
