"""`edgenn sweep --executor ray`: the same grid gives the same points on a local Ray instance (2 CPUs,
started by the sweep itself) as on the local process pool; without Ray, or with an address and no
Ray executor, one line and exit 2, before any work."""

from __future__ import annotations

import json
import shutil

import pytest

from edgenn.optimize.sweep import BASE_DIR
from tests.conftest import IN_CI, REPO, require_tool, run_cli, run_cli_without

RECIPE = REPO / "models" / "digits_cnn.toml"
# The base, half its channels fine-tuned, and both fine-tuned for int4, the narrowed one from the narrowed
# model: a job that converts only, jobs that train, and a job that waits for another's model.
GRID = ["--channels", "1,0.5", "--sparsity", "0", "--compress", "none,int4", "--no-classical", "-j", "2"]


def _points(out) -> dict[str, dict]:
    """The points by name, without what the clock measured (fine-tuning seconds)."""
    result = json.loads((out / "sweep.json").read_text())
    return {p["name"]: {k: v for k, v in p.items() if not k.endswith("_seconds")} for p in result["points"]}


@pytest.mark.slow
def test_ray_executor_gives_the_points_of_the_local_one(tmp_path):
    pytest.importorskip("ray")
    if IN_CI:
        require_tool("arm-none-eabi-gcc")
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    proc = run_cli("sweep", str(RECIPE), "-o", str(local), *GRID)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    shutil.copytree(local / BASE_DIR, on_ray / BASE_DIR)  # the same trained base: only the jobs differ
    proc = run_cli("sweep", str(RECIPE), "-o", str(on_ray), *GRID, "--executor", "ray")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    want, got = _points(local), _points(on_ray)
    assert len(want) == 4 and {"c0.5_s0_int8_per_channel+int4", "c1_s0_int8_per_channel"} <= set(want)
    assert got == want
    run = json.loads((on_ray / "run.json").read_text())
    assert run["executor"] == "ray" and run["workers"] == 2 and len(run["jobs"]) == 4
    (narrow_int4,) = [j for j in run["jobs"] if j["points"] == ["c0.5_s0_int8_per_channel+int4"]]
    assert narrow_int4["after"] == "channels 0.5 sparsity 0"  # it started from that job's model
    assert all(p["instructions"] for p in got.values())  # measured, not left out
    for name in ("sweep.md", "pareto.png"):
        assert (on_ray / name).stat().st_size > 0
    assert "--executor ray" in json.loads((on_ray / "sweep.json").read_text())["command"]


def test_executor_ray_without_ray_is_one_line_and_no_output(tmp_path):
    out = tmp_path / "out"
    proc = run_cli_without("ray", "sweep", str(RECIPE), "-o", str(out), "--executor", "ray")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "edgenn: error: --executor ray needs Ray, part of the [scale] extra: pip install 'edgenn[scale]'"
    ]
    assert not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--address", "auto"], "--address names a Ray cluster: it needs --executor ray"),
        (["--executor", "dask"], "Invalid value for '--executor'"),
    ],
)
def test_bad_executor_options_are_one_line(tmp_path, args, message):
    out = tmp_path / "out"
    proc = run_cli("sweep", str(RECIPE), "-o", str(out), *args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert not out.exists()
