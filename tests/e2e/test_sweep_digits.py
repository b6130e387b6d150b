"""`edgenn sweep` on digits: structured and unstructured pruning, three quantization variants, the
classical baselines, and resuming from the cache.

The acceptance figures are read from what the command wrote (sweep.json), on the test split.
"""

from __future__ import annotations

import json

import pytest

from edgenn.optimize.sweep import CACHE_DIR, code_key, pareto_front, plan
from tests.conftest import IN_CI, REPO, require_tool, run_cli

RECIPE = REPO / "models" / "digits_cnn.toml"
GRID = ["--channels", "1,0.5", "--sparsity", "0,0.8", "--quant", "int8_per_channel,float16,qdq_minmax_per_tensor"]
FIELDS = {"name", "kind", "sparsity", "channels", "quant", "accuracy", "flash_bytes", "ram_bytes", "macs"}


def _sweep(out, *extra):
    proc = run_cli("sweep", str(RECIPE), "-o", str(out), "-j", "2", *GRID, *extra)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads((out / "sweep.json").read_text()), proc


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    if IN_CI:
        require_tool("arm-none-eabi-gcc")
    out = tmp_path_factory.mktemp("sweep") / "digits"
    result, proc = _sweep(out)
    return out, result, proc


def _point(result, name):
    (p,) = [p for p in result["points"] if p["name"] == name]
    return p


def test_sweep_json_has_every_point_of_the_grid(swept):
    _, result, proc = swept
    assert result["schema"] == 1
    nn = [p for p in result["points"] if p["kind"] == "nn"]
    classical = [p for p in result["points"] if p["kind"] == "classical"]
    assert len(nn) == 2 * 2 * 3
    assert {p["name"] for p in classical} == {"logistic_regression", "decision_tree", "random_forest"}
    for p in result["points"]:
        assert FIELDS <= set(p), p["name"]
        assert 0.8 < p["val_accuracy"] <= 1.0, p["name"]  # what a user should choose by
    assert len({p["name"] for p in result["points"]}) == len(result["points"])
    assert "Pareto front" in proc.stdout


def test_each_variant_is_scored_by_a_runner_that_executes_it(swept):
    _, result, _ = swept
    expected = {"int8_per_channel": "c", "float16": "litert", "qdq_minmax_per_tensor": "onnxruntime"}
    for p in result["points"]:
        if p["kind"] != "nn":
            continue
        assert p["runner"] == expected[p["quant"]], p["name"]
        assert p["runner"] in p["runners"]
        assert p["accuracy"] == p["accuracy_by_runner"][p["runner"]]
        assert p["accuracy"] > 0.9, p["name"]
        if p["quant"] == "float16":  # TFLM has no float16-weight kernels: reported, not dropped
            assert "tflm" in p["not_runnable"] and p["ram_bytes"] is None
        if p["quant"] == "int8_per_channel":  # the generated C runs it: scored by it, its compiled size the flash
            assert "c" in p["runners"] and p["flash_source"].startswith("c:")
            assert p["accuracy_by_runner"]["c"] == p["accuracy_by_runner"]["tflm"]  # bit-exact


def test_structured_pruning_halves_macs_within_two_points(swept):
    _, result, _ = swept
    full, half = _point(result, "c1_s0_int8_per_channel"), _point(result, "c0.5_s0_int8_per_channel")
    assert half["macs"] <= 0.5 * full["macs"], (half["macs"], full["macs"])
    assert half["params"] < full["params"]
    assert (full["accuracy"] - half["accuracy"]) * 100 <= 2.0, (full["accuracy"], half["accuracy"])
    # Fewer weights and narrower activations: the compiled C needs less of both memories.
    assert half["flash_bytes"] < full["flash_bytes"] and half["ram_bytes"] < full["ram_bytes"]
    assert all(kept < total for kept, total in half["layers_channels"].values())


def test_unstructured_pruning_keeps_accuracy_and_compresses(swept):
    _, result, _ = swept
    dense, sparse = _point(result, "c1_s0_int8_per_channel"), _point(result, "c1_s0.8_int8_per_channel")
    assert sparse["weight_sparsity"] >= 0.75
    assert (dense["accuracy"] - sparse["accuracy"]) * 100 <= 1.0, (dense["accuracy"], sparse["accuracy"])
    assert sparse["model_bytes"] == dense["model_bytes"]  # zeros are stored like any other weight
    assert sparse["gzip_bytes"] <= 0.6 * dense["gzip_bytes"], (sparse["gzip_bytes"], dense["gzip_bytes"])


def test_classical_baselines_are_compiled_c(swept):
    _, result, _ = swept
    for p in result["points"]:
        if p["kind"] == "classical":
            assert p["flash_bytes"] > 0 and p["runner"] == "c"
            if IN_CI:
                assert p["flash_source"] == "c:cortex-m4"


def test_reports_mark_the_same_front(swept):
    out, result, _ = swept
    marked = {p["name"] for p in result["points"] if p["pareto"]}
    assert marked == {p["name"] for p in pareto_front(result["points"])}
    md = (out / "sweep.md").read_text()
    for p in result["points"]:
        row = next(
            line for line in md.splitlines() if line.startswith(f"| {'★' if p['pareto'] else ''} | {p['name']} |")
        )
        assert f"{100 * p['accuracy']:.2f}%" in row
    assert (out / "pareto.png").read_bytes()[:4] == b"\x89PNG"


def test_resume_computes_only_what_is_missing(swept):
    from edgenn.recipe import load_recipe

    out, result, _ = swept
    cache = out / CACHE_DIR
    recipe = load_recipe(RECIPE)
    stamp = (out / "base" / "sweep_key").read_text().strip()
    quant = ("int8_per_channel", "float16", "qdq_minmax_per_tensor")
    jobs = plan(recipe, stamp, (1.0, 0.5), (0.0, 0.8), quant, True, code=code_key())
    entries = {k: cache / f"{k}.json" for j in jobs for k in j.keys}
    assert all(path.is_file() for path in entries.values())
    # Forget one point of the narrowed, sparse model: only it is evaluated again, from the cached model.
    lost = jobs[3].keys[0]
    entries[lost].unlink()
    before = {k: path.stat().st_mtime_ns for k, path in entries.items() if k != lost}
    model_mtime = (cache / "models" / f"{jobs[3].model_key}.keras").stat().st_mtime_ns
    again, _ = _sweep(out)
    assert {k: path.stat().st_mtime_ns for k, path in entries.items() if k != lost} == before
    assert entries[lost].is_file()
    assert (cache / "models" / f"{jobs[3].model_key}.keras").stat().st_mtime_ns == model_mtime
    assert again["points"] == result["points"]  # the cached model gives the same figures


COMPRESS = ["--channels", "1", "--sparsity", "0", "--quant", "int8_per_channel", "--compress", "none,int4,lut2"]
COMPRESS += ["--qat"]


@pytest.fixture(scope="module")
def compressed(swept, tmp_path_factory):
    """The compression axis on the unpruned model, with quantization-aware training, from a copy of the
    sweep's base and cache: only the compressed and QAT points are new."""
    import shutil

    out = tmp_path_factory.mktemp("sweep") / "compressed"
    shutil.copytree(swept[0], out)
    proc = run_cli("sweep", str(RECIPE), "-o", str(out), "-j", "2", "--no-classical", *COMPRESS)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads((out / "sweep.json").read_text())


def test_compressed_points_shrink_flash_and_stay_bit_exact(compressed):
    assert compressed["grid"]["compress"] == ["none", "int4", "lut2"]
    dense = _point(compressed, "c1_s0_int8_per_channel")
    assert dense["compress"] == "none"
    for scheme in ("int4", "lut2"):
        p = _point(compressed, f"c1_s0_int8_per_channel+{scheme}")
        assert p["compress"] == scheme and p["runner"] == "c"
        assert p["accuracy_by_runner"]["c"] == p["accuracy_by_runner"]["tflm"]  # the packed C is bit-exact
        assert p["flash_bytes"] < 0.85 * dense["flash_bytes"], (scheme, p["flash_bytes"], dense["flash_bytes"])
        assert abs(dense["accuracy"] - p["accuracy"]) * 100 <= 1.5, (scheme, p["accuracy"], dense["accuracy"])
        if IN_CI:
            assert p["instructions"] > 0 and dense["instructions"] > 0
    lut2, int4 = (_point(compressed, f"c1_s0_int8_per_channel+{s}") for s in ("lut2", "int4"))
    assert lut2["flash_bytes"] < int4["flash_bytes"]  # two bits a weight against four


def test_qat_points_are_int8_models_the_c_runs_bit_exact(compressed):
    assert compressed["grid"]["qat"] is True
    dense = _point(compressed, "c1_s0_int8_per_channel")
    for scheme in ("none", "int4", "lut2"):
        label = "int8_qat" if scheme == "none" else f"int8_qat+{scheme}"
        p = _point(compressed, f"c1_s0_{label}")
        ptq = _point(compressed, f"c1_s0_int8_per_channel{'' if scheme == 'none' else '+' + scheme}")
        assert p["quant"] == label and p["compress"] == scheme and p["runner"] == "c"
        assert p["accuracy_by_runner"]["c"] == p["accuracy_by_runner"]["tflm"]  # bit-exact on the QAT model too
        assert "qat_seconds" in p and p["val_accuracy"] > 0.9
        assert abs(dense["accuracy"] - p["accuracy"]) * 100 <= 1.5, (label, p["accuracy"], dense["accuracy"])
        # The same encoding of the same layers: the flash differs by the constants' rounding at most.
        assert abs(p["flash_bytes"] - ptq["flash_bytes"]) <= 0.05 * ptq["flash_bytes"], (label, p, ptq)
