"""Side-by-side figures for one build: accuracy, size, and host time per inference of each runner.

Usage: python benchmarks/runners.py [BUILD_DIR] [--repeat N]
BUILD_DIR defaults to build/digits_cnn; it is built with `edgenn run models/digits_cnn.toml`
when missing. Every runner sees the same test split, in the same process, one after another.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edgenn import layout  # noqa: E402
from edgenn.data.splits import load_build_data  # noqa: E402
from edgenn.evaluate.evaluate import variants_for  # noqa: E402
from edgenn.evaluate.metrics import accuracy  # noqa: E402
from edgenn.graph.tflite import read_tflite  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build_dir", nargs="?", type=Path, default=REPO / "build" / "digits_cnn")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the test split per runner; the best counts")
    args = ap.parse_args()
    if not (args.build_dir / layout.REPORT_JSON).is_file():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "edgenn",
                "run",
                str(REPO / "models" / "digits_cnn.toml"),
                "-o",
                str(args.build_dir),
            ],
            check=True,
        )

    data = load_build_data(args.build_dir)
    x, y = data.x_test, data.y_test
    graph = read_tflite(args.build_dir / layout.TFLITE_INT8)
    rows = []
    for v in variants_for(graph):
        if v.runner == "keras" or not v.present(args.build_dir):
            continue
        runner = v.make(args.build_dir)
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            out = runner.predict(x)
            best = min(best, time.perf_counter() - start)
        rows.append((v.name, v.runner, accuracy(out, y), v.size_bytes(args.build_dir), 1e6 * best / len(x)))

    tflm_us = next(r[4] for r in rows if r[1] == "tflm")
    float_size = next(r[3] for r in rows if r[0] == "tflite_float")
    print(f"model: {args.build_dir.name}, {len(x)} test samples, best of {args.repeat} passes, batch 1, one process")
    print(
        "(c_int8 runs the compiled runner as a child process per pass, start-up included; "
        "benchmarks/speed.py times it per inference)"
    )
    print("| variant | runner | accuracy | size (B) | size vs float .tflite | µs/inference | time vs TFLM |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, runner, acc, size, us in rows:
        cells = [
            name,
            runner,
            f"{100 * acc:.2f}%",
            f"{size:,}",
            f"{size / float_size:.2f}×",
            f"{us:.1f}",
            f"{us / tflm_us:.2f}×",
        ]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
