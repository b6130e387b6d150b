"""`edgenn tune`: a 6-trial search on digits (a short-training copy of the recipe) on a local Ray
instance of 2 CPUs respects its budgets as the compiled C measures them, scores only its Pareto trials
on the test split, and continues rather than restarts when run again."""

from __future__ import annotations

import json

import pytest

from edgenn.optimize.tune import derive, repeated_block, search_space
from edgenn.recipe import load_recipe
from tests.conftest import IN_CI, REPO, require_tool, run_cli, run_cli_without

RECIPE = REPO / "models" / "digits_cnn.toml"
# Budgets the full-width digits model (16,988 B, 1,472 B, 547,988 instructions) misses on flash, and that
# its 3-bit palettes (3,360 B of RAM, 990K instructions) miss on RAM and time.
FLASH, RAM, INSTRUCTIONS = 12_000, 2_048, 600_000


@pytest.fixture(scope="module")
def short_recipe(tmp_path_factory):
    text = RECIPE.read_text().replace("epochs = 30", "epochs = 2")
    text = text.replace("fine_tune_epochs = 15", "fine_tune_epochs = 1")
    path = tmp_path_factory.mktemp("recipe") / "digits_cnn.toml"
    path.write_text(text)
    return path


def _tune(recipe, out):
    return run_cli(
        "tune", str(recipe), "-o", str(out), "--trials", "6", "-j", "2", "--max-flash", str(FLASH),
        "--max-ram", str(RAM), "--max-latency", str(INSTRUCTIONS),
    )  # fmt: skip


@pytest.mark.slow
def test_a_six_trial_search_respects_its_budgets(short_recipe, tmp_path):
    pytest.importorskip("ray")
    if IN_CI:
        require_tool("arm-none-eabi-gcc")
        require_tool("qemu-system-arm")
    out = tmp_path / "tune"
    proc = _tune(short_recipe, out)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    result = json.loads((out / "tune.json").read_text())
    trials = result["trials"]
    assert len(trials) == 6 and len({t["trial"] for t in trials}) == 6
    within = [t for t in trials if t["status"] == "within budget"]
    assert within, [t["status"] for t in trials]
    for t in within:  # measured on the compiled C, not estimated
        assert t["flash_bytes"] <= FLASH and t["ram_bytes"] <= RAM and t["instructions"] <= INSTRUCTIONS, t
        assert 0.5 < t["val_accuracy"] <= 1.0
    for t in trials:
        over = (t["flash_bytes"] or 0) > FLASH or (t["ram_bytes"] or 0) > RAM or (t["instructions"] or 0) > INSTRUCTIONS
        if over:
            assert t["status"].startswith("over budget"), t
    front = [t for t in trials if t.get("pareto")]
    assert front and all(t in within for t in front)
    assert all("test_accuracy" in t for t in front) and not any("test_accuracy" in t for t in trials if t not in front)
    assert (out / "tune.md").read_text().count("\n| ★ |") == len(front)
    assert (out / "pareto.png").stat().st_size > 0
    # Run again: the finished search is continued, not redone.
    again = _tune(short_recipe, out)
    assert again.returncode == 0, again.stderr
    assert {t["trial"] for t in json.loads((out / "tune.json").read_text())["trials"]} == {t["trial"] for t in trials}


def test_the_search_space_follows_the_recipe():
    recipe = load_recipe(RECIPE)
    import tomllib

    raw = tomllib.loads(RECIPE.read_text())
    space = search_space(recipe, raw)
    assert space["depth"] == [1, 2]  # two conv-BN-ReLU blocks
    assert space["kernel"] == [3, 5] and "mfcc_coefficients" not in space
    narrow = derive(recipe, raw, {"width": 0.5, "depth": 1, "kernel": 5})
    layers = narrow["model"]["layers"]
    assert [layer["type"] for layer in layers][:4] == ["conv2d", "batchnorm", "relu", "maxpool2d"]
    assert layers[0]["filters"] == 8 and layers[0]["kernel_size"] == 5
    assert layers[-2] == {"type": "dense", "units": 10}  # the classifier keeps its classes
    kws = load_recipe(REPO / "models" / "kws_dscnn.toml")
    raw = tomllib.loads((REPO / "models" / "kws_dscnn.toml").read_text())
    assert search_space(kws, raw)["depth"] == [1, 2, 3]
    shorter = derive(kws, raw, {"hop_length": 256, "mfcc_coefficients": 10})
    assert shorter["model"]["input_shape"] == [32, 10, 1]  # 1 + (8192 - 256) // 256 frames
    assert repeated_block(["a", "b", "c"]) == (0, 0, 1)


def test_tune_without_ray_is_one_line(tmp_path):
    out = tmp_path / "out"
    proc = run_cli_without("ray", "tune", str(RECIPE), "-o", str(out), "--trials", "2")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "edgenn: error: tune needs Ray, part of the [scale] extra: pip install 'edgenn[scale]'"
    ]
    assert not out.exists()
