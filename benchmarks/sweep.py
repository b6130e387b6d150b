"""Wall time of a 12-point sweep, one process against several, measured side by side in one run.

The grid: channels 1, 0.75, 0.5 × sparsity 0.5, 0.75 × variants int8_per_channel, float32 on the
digits recipe, without the classical baselines. The base model is trained once, before either
timing, and copied into both output folders, so both sweeps do the same work from an empty cache:
fine-tune six pruned models, convert each to both variants, evaluate, and size the C. Each job
runs one thread in its own process; the serial run is one such process. A job (one model) is the
unit of work, so six jobs on two processes take three rounds, and each process starts TensorFlow
once (a few seconds).

Usage: python benchmarks/sweep.py [--jobs N]   (N: the parallel run's processes; default: CPU count)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edgenn.optimize.sweep import BASE_DIR, base_key, sweep, train_base  # noqa: E402
from edgenn.recipe import load_recipe  # noqa: E402

RECIPE = REPO / "models" / "digits_cnn.toml"
GRID = {"channels": (1.0, 0.75, 0.5), "sparsity": (0.5, 0.75), "quant": ("int8_per_channel", "float32")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.environ.setdefault("EDGENN_QUIET", "1")
    recipe = load_recipe(RECIPE)
    points = len(GRID["channels"]) * len(GRID["sparsity"]) * len(GRID["quant"])
    with tempfile.TemporaryDirectory(prefix="edgenn-bench-sweep-") as tmp:
        serial, parallel = Path(tmp, "serial"), Path(tmp, "parallel")
        train_base(recipe, serial, base_key(recipe))
        shutil.copytree(serial / BASE_DIR, parallel / BASE_DIR)
        timings, results = {}, {}
        for name, out, jobs in (("serial", serial, 1), ("parallel", parallel, args.jobs)):
            start = time.perf_counter()
            results[name] = sweep(
                RECIPE, out, jobs=jobs, classical=False, command=f"benchmarks/sweep.py {name}", **GRID
            )
            timings[name] = (jobs, time.perf_counter() - start)
    same = [
        (a["name"], a["accuracy"], a["flash_bytes"]) == (b["name"], b["accuracy"], b["flash_bytes"])
        for a, b in zip(results["serial"]["points"], results["parallel"]["points"], strict=True)
    ]
    print(f"{points}-point sweep of {RECIPE.name} on {os.cpu_count()} CPU cores (base model trained beforehand)")
    print("| run | processes | wall time (s) |")
    print("|---|---:|---:|")
    for name, (jobs, seconds) in timings.items():
        print(f"| {name} | {jobs} | {seconds:.1f} |")
    print(f"speed-up, serial / parallel: {timings['serial'][1] / timings['parallel'][1]:.2f}x")
    print(f"points with the same accuracy and flash in both runs: {sum(same)}/{len(same)}")


if __name__ == "__main__":
    main()
