"""The sweep's bookkeeping: Pareto front, cache keys, reports, and refusals before any work starts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from edgenn.errors import EdgeNNError
from edgenn.optimize.sweep import base_key, code_key, pareto_front, plan, sweep
from edgenn.optimize.sweep_report import markdown, plot
from edgenn.recipe import load_recipe
from tests.conftest import REPO, run_cli

RECIPE = REPO / "models" / "digits_cnn.toml"


def _p(name, flash, acc, kind="nn", **extra):
    return {"name": name, "kind": kind, "flash_bytes": flash, "accuracy": acc, "quant": "int8_per_channel", **extra}


def test_pareto_front_keeps_only_undominated_points():
    points = [
        _p("small_bad", 1000, 0.80),
        _p("small_good", 1000, 0.85),  # beats small_bad at the same flash
        _p("mid", 5000, 0.90),
        _p("mid_worse", 6000, 0.90),  # same accuracy, more flash
        _p("big", 20000, 0.98),
        _p("big_tie", 20000, 0.98),  # equal points dominate neither
        _p("huge_worse", 40000, 0.95),
        _p("unrun", 10, None),  # no accuracy: not on the front, not a competitor
    ]
    front = [p["name"] for p in pareto_front(points)]
    assert front == ["small_good", "mid", "big", "big_tie"]


def test_every_point_off_the_front_is_dominated_by_one_on_it():
    import random

    rng = random.Random(0)
    points = [_p(f"p{i}", rng.randint(100, 10000), round(rng.random(), 2)) for i in range(200)]
    front = pareto_front(points)
    names = {p["name"] for p in front}
    for p in points:
        if p["name"] in names:
            continue
        assert any(q["flash_bytes"] <= p["flash_bytes"] and q["accuracy"] >= p["accuracy"] for q in front), p
    # Along the front, more flash always buys more accuracy.
    for a, b in zip(front, front[1:], strict=False):
        assert b["flash_bytes"] >= a["flash_bytes"] and b["accuracy"] >= a["accuracy"]


def test_cache_keys_follow_everything_that_determines_a_point(tmp_path):
    recipe = load_recipe(RECIPE)
    key = base_key(recipe)
    jobs = plan(recipe, key, (1.0, 0.5), (0.0, 0.75), ("int8_per_channel", "float16"), classical=True)
    assert [(j.kind, j.channels, j.sparsity) for j in jobs] == [
        ("nn", 1.0, 0.0),
        ("nn", 1.0, 0.75),
        ("nn", 0.5, 0.0),
        ("nn", 0.5, 0.75),
        ("classical", 1.0, 0.0),
    ]
    keys = [k for j in jobs for k in j.keys]
    assert len(set(keys)) == len(keys) == 9
    assert len({j.model_key for j in jobs if j.kind == "nn"}) == 4
    # The same inputs give the same keys; a point's key does not depend on the rest of the grid.
    again = plan(recipe, key, (0.5,), (0.75,), ("float16",), classical=False)
    assert again[0].keys[0] == jobs[3].keys[1] and again[0].model_key == jobs[3].model_key

    # Other fine-tuning settings or another recipe text give other keys.
    edited = tmp_path / "digits_cnn.toml"
    assert "fine_tune_epochs = 15" in RECIPE.read_text()
    edited.write_text(RECIPE.read_text().replace("fine_tune_epochs = 15", "fine_tune_epochs = 3"))
    other = load_recipe(edited)
    assert base_key(other) != key
    other_jobs = plan(other, key, (1.0,), (0.75,), ("int8_per_channel",), classical=False)
    assert other_jobs[0].keys[0] != jobs[1].keys[0]

    # Other code (edgenn's files: code_key) measures every point again, and retrains no model.
    moved = plan(recipe, key, (1.0, 0.5), (0.0, 0.75), ("int8_per_channel", "float16"), True, code="other")
    assert not {k for j in moved for k in j.keys} & set(keys)
    assert [j.model_key for j in moved] == [j.model_key for j in jobs]


def test_the_code_key_follows_edgenns_files(tmp_path, monkeypatch):
    """code_key hashes the package's Python, C and schemas: the same files give the same key, one
    changed byte in a kernel another."""
    import shutil

    from edgenn.optimize import sweep as sweep_module

    here = code_key()
    assert here == code_key() and len(here) == 20
    root = Path(sweep_module.__file__).resolve().parent.parent
    copy = tmp_path / "edgenn"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(sweep_module, "__file__", str(copy / "optimize" / "sweep.py"))
    assert code_key() == here
    kernel = copy / "firmware" / "src" / "conv_2d.c"
    kernel.write_bytes(kernel.read_bytes() + b"\n")
    assert code_key() != here


def test_qat_jobs_start_from_the_model_fine_tuned_for_their_compression():
    recipe = load_recipe(RECIPE)
    key = base_key(recipe)
    jobs = plan(recipe, key, (0.5,), (0.0, 0.75), ("int8_per_channel",), False, ("none", "lut2", "sparse"), qat=True)
    by = {(j.sparsity, j.compress, j.qat): j for j in jobs}
    # sparse at sparsity 0 is the dense model: neither it nor its QAT job is planned
    want = [(s, z, q) for s in (0.0, 0.75) for z in ("none", "lut2", "sparse") for q in (False, True)]
    assert sorted(by, key=str) == sorted((w for w in want if w[:2] != (0.0, "sparse")), key=str)
    for (s, z, qat), job in by.items():
        if qat:
            assert job.quant == ("int8_qat" if z == "none" else f"int8_qat+{z}",)
            assert job.start == by[(s, z, False)]  # the model fine-tuned for the compression, then QAT
        elif z == "lut2":
            assert job.start == by[(s, "none", False)]
        else:
            assert job.start is None
    keys = [k for j in jobs for k in j.keys]
    assert len(set(keys)) == len(keys)
    assert len({j.model_key for j in jobs}) == len(jobs)


def test_a_point_whose_c_disagrees_with_tflm_is_an_error():
    """The sweep scores int8 points with the generated C because it is bit-exact with TFLM: where the two
    score differently the point is wrong, and the sweep says so instead of reporting it."""
    from edgenn.optimize.sweep import check_c_matches_tflm

    with pytest.raises(EdgeNNError, match="int8_qat\\+lut3: the generated C scores 97.2222% and TFLM 97.5000%"):
        check_c_matches_tflm("int8_qat+lut3", {"c": 350 / 360, "tflm": 351 / 360, "litert": 351 / 360})
    check_c_matches_tflm("int8_per_channel", {"c": 0.975, "tflm": 0.975})  # the same: a point
    check_c_matches_tflm("int8_per_channel", {"tflm": 0.975})  # the C did not run it
    check_c_matches_tflm("float32", {"c": 0.97, "tflm": 0.975})  # float kernels are close, not bit-exact


def test_refuses_bad_grids_before_writing_anything(tmp_path):
    out = tmp_path / "sweep"
    for kwargs, message in (
        ({"quant": ("int4",)}, "unknown quantization variant 'int4'"),
        ({"channels": (0.0,)}, "channels must be in (0, 1]"),
        ({"channels": (1.5,)}, "channels must be in (0, 1]"),
        ({"sparsity": (1.0,)}, "sparsity must be in [0, 1)"),
        ({"jobs": 0}, "jobs must be at least 1"),
    ):
        with pytest.raises(EdgeNNError, match=re.escape(message)):
            sweep(RECIPE, out, **kwargs)
        assert not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--quant", "int8_per_channel,bogus"], "unknown quantization variant 'bogus'"),
        (["--sparsity", "0,x"], "Invalid value for '--sparsity': must be comma-separated numbers"),
        (["--channels", "0"], "channels must be in (0, 1], got 0"),
        (["--jobs", "0"], "Invalid value for '-j' / '--jobs'"),
        (["--data", "elsewhere"], "the data source 'digits' is built in: --data needs source 'npz' or 'wav'"),
    ],
)
def test_cli_bad_options_are_one_line_and_exit_2(tmp_path, args, message):
    out = tmp_path / "sweep"
    proc = run_cli("sweep", str(RECIPE), "-o", str(out), *args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edgenn: error:") and message in lines[0], proc.stderr
    assert not out.exists()


def test_cli_missing_recipe(tmp_path):
    proc = run_cli("sweep", str(tmp_path / "nope.toml"), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"edgenn: error: {tmp_path / 'nope.toml'}: recipe not found"


def _result(points):
    for p in points:
        p.setdefault("pareto", False)
    for p in pareto_front(points):
        p["pareto"] = True
    return {
        "schema": 1,
        "edgenn_version": "0",
        "command": "edgenn sweep x",
        "recipe": "demo",
        "data": {"split": "test", "samples": 10},
        "definitions": {"flash_bytes": "bytes"},
        "points": points,
    }


def test_markdown_marks_the_front_and_lists_what_no_runner_executes():
    points = [
        _p("c1_s0_int8_per_channel", 18000, 0.98, channels=1.0, sparsity=0.0, runner="tflm", val_accuracy=0.9925),
        _p("c1_s0_int8_per_tensor", 19000, 0.97, channels=1.0, sparsity=0.0, runner="tflm"),
        _p("logistic_regression", 2700, 0.96, kind="classical", runner="c", quant="float32"),
        {
            **_p("c1_s0_float16", 24000, None, channels=1.0, sparsity=0.0),
            "not_runnable": {"tflm": "no float16 kernels", "litert": "not installed (ai_edge_litert)"},
        },
    ]
    md = markdown(_result(points))
    rows = {line.split("|")[2].strip(): line for line in md.splitlines() if line.startswith("| ")}
    assert "★" in rows["c1_s0_int8_per_channel"] and "★" in rows["logistic_regression"]
    assert "★" not in rows["c1_s0_int8_per_tensor"]
    assert "c1_s0_float16" not in rows  # not in the table of measured points, but listed below
    assert "- c1_s0_float16: litert: not installed (ai_edge_litert); tflm: no float16 kernels" in md
    cells = [c.strip() for c in rows["c1_s0_int8_per_channel"].split("|")]
    assert cells[8:11] == ["98.00%", "99.25%", "18,000"]


def test_plot_writes_a_png(tmp_path):
    points = [
        _p("c1_s0_int8_per_channel", 18000, 0.98, channels=1.0, sparsity=0.0),
        _p("c0.5_s0_int8_per_channel", 9000, 0.97, channels=0.5, sparsity=0.0),
        _p("decision_tree", 2300, 0.85, kind="classical", quant="float32"),
    ]
    dest = tmp_path / "pareto.png"
    plot(_result(points), dest)
    assert dest.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert dest.stat().st_size > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["pareto.png"]  # no temporary file left


def test_a_damaged_cache_entry_is_recomputed_not_trusted(tmp_path):
    from edgenn.optimize.sweep import _cached

    (tmp_path / "k.json").write_text('[{"name": "x"')
    assert _cached(tmp_path, "k") is None
    (tmp_path / "k.json").write_text(json.dumps([{"name": "x"}]))
    assert _cached(tmp_path, "k") == [{"name": "x"}]
