"""A 24-point sweep on Ray against the local process pool on the same cores, and the speed-up more
workers would give, measured side by side in one run.

The grid: channels 1, 0.75, 0.5 × sparsity 0, 0.5 × compressions none, int4, lut3, lut4t of the
digits recipe's int8 model, without the classical baselines: 24 jobs, 18 of which fine-tune. The base
model is trained once, before either timing, and copied into both output folders, so both sweeps do
the same work from an empty cache. Each job runs one thread; the local pool runs --jobs processes,
Ray a local instance of --jobs CPUs (started and stopped inside the timing, as `edgenn sweep
--executor ray` does). Printed: both wall times, Ray's overhead (its extra wall time, as a share of
the local pool's), and whether every point is the same.

Then the speed-up on more workers, by simulation: every job's own time, as the Ray run measured it
(run.json's jobs), is scheduled onto N workers in the order the sweep hands jobs out, each
job on the first free worker once the job it starts from has finished (a compression's fine-tuning
starts from the point's fine-tuned model). The driver's own time (planning, the report) is added
as measured. This is what a cluster of N one-CPU slots would take with jobs that cost what they cost
here; it leaves out moving data between machines, which a shared volume makes small.

Usage: python benchmarks/scale.py [--jobs N] [--workers 1,2,4,8,16,24]
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edgenn.optimize.sweep import BASE_DIR, base_key, sweep, train_base  # noqa: E402
from edgenn.optimize.sweep_report import RUN_JSON  # noqa: E402
from edgenn.recipe import load_recipe  # noqa: E402

RECIPE = REPO / "models" / "digits_cnn.toml"
GRID = {
    "channels": (1.0, 0.75, 0.5),
    "sparsity": (0.0, 0.5),
    "quant": ("int8_per_channel",),
    "compress": ("none", "int4", "lut3", "lut4t"),
}


def simulate(jobs: list[dict], workers: int) -> float:
    """The makespan of `jobs` (run.json's jobs: in hand-out order, each with its own seconds and the
    job it starts from) on `workers` slots: each to the first free slot once what it starts from is done."""
    finish: dict[str, float] = {}
    free = [0.0] * workers  # when each slot is next free
    heapq.heapify(free)
    for job in jobs:
        slot = heapq.heappop(free)
        start = max(slot, finish.get(job["after"], 0.0) if job.get("after") else 0.0)
        finish[job["job"]] = start + job["seconds"]
        heapq.heappush(free, finish[job["job"]])
    return max(finish.values(), default=0.0)


def same_points(a: dict, b: dict) -> bool:
    def strip(result):
        return [{k: v for k, v in p.items() if not k.endswith("_seconds")} for p in result["points"]]

    return strip(a) == strip(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--workers", default="1,2,4,8,16,24")
    args = parser.parse_args()
    os.environ.setdefault("EDGENN_QUIET", "1")
    recipe = load_recipe(RECIPE)
    points = len(GRID["channels"]) * len(GRID["sparsity"]) * len(GRID["compress"])
    with tempfile.TemporaryDirectory(prefix="edgenn-bench-scale-") as tmp:
        folders = {"local": Path(tmp, "local"), "ray": Path(tmp, "ray")}
        train_base(recipe, folders["local"], base_key(recipe))
        shutil.copytree(folders["local"] / BASE_DIR, folders["ray"] / BASE_DIR)
        wall, results, runs = {}, {}, {}
        for executor, out in folders.items():
            start = time.perf_counter()
            results[executor] = sweep(
                RECIPE,
                out,
                jobs=args.jobs,
                classical=False,
                command=f"benchmarks/scale.py {executor}",
                executor=executor,
                **GRID,
            )
            wall[executor] = time.perf_counter() - start
            runs[executor] = json.loads((out / RUN_JSON).read_text())
    same = same_points(results["local"], results["ray"])
    cores = os.cpu_count()
    print(f"{points}-point sweep of {RECIPE.name}, {args.jobs} workers on {cores} CPU cores (base trained before)")
    print()
    print("| executor | workers | wall time (s) | jobs' own time (s) |")
    print("|---|---:|---:|---:|")
    for executor in folders:
        own = sum(j["seconds"] for j in runs[executor]["jobs"])
        print(f"| {executor} | {args.jobs} | {wall[executor]:.1f} | {own:.1f} |")
    overhead = (wall["ray"] - wall["local"]) / wall["local"]
    print()
    verdict = "yes" if same else "NO"
    print(f"Ray's overhead: {100 * overhead:+.1f}% of the local pool's wall time; same points: {verdict}")
    jobs = runs["ray"]["jobs"]
    driver = wall["ray"] - runs["ray"]["seconds"]
    one = simulate(jobs, 1) + driver
    print()
    print("Expected with N one-CPU workers (the Ray run's job times, scheduled as the sweep hands them out):")
    print()
    print("| workers | expected wall time (s) | speed-up |")
    print("|---:|---:|---:|")
    for n in (int(w) for w in args.workers.split(",")):
        expected = simulate(jobs, n) + driver
        print(f"| {n} | {expected:.1f} | {one / expected:.2f}× |")
    longest = max(j["seconds"] for j in jobs)
    print()
    print(f"The longest job takes {longest:.1f} s: no number of workers makes the sweep shorter than that.")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
