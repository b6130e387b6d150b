"""Classical baselines on digits: their C compiles warning-free, predicts exactly as the Python model
does on the whole test split, and lands at a sane accuracy with a measured flash size."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from edgenn.data.splits import load_dataset
from edgenn.optimize import classical
from edgenn.recipe import load_recipe
from tests.conftest import REPO, require_tool

# Measured on the seed-0 split: 0.967, 0.850 and 0.919; the floors sit a few points below.
FLOORS = {"logistic_regression": 0.93, "decision_tree": 0.80, "random_forest": 0.88}
KEYS = {"name", "kind", "accuracy", "val_accuracy", "flash_bytes", "flash_target", "ram_bytes", "macs"}
KEYS |= {"sparsity", "channels", "quant"}


@pytest.fixture(scope="module")
def digits():
    recipe = load_recipe(REPO / "models" / "digits_cnn.toml")
    return load_dataset(recipe.data, recipe.model.input_shape)


@pytest.fixture(scope="module")
def fitted(digits):
    return {b.name: b for b in classical.fit_baselines(digits, seed=0)}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_c_compiles_with_werror(fitted, tmp_path, name):
    require_tool("gcc")
    text, data, bss = classical.compile_size(fitted[name], tmp_path, "host")
    assert text + data > 0
    if shutil.which("arm-none-eabi-gcc") and shutil.which("arm-none-eabi-size"):
        text, data, bss = classical.compile_size(fitted[name], tmp_path, "cortex-m4")
        assert text + data > 0


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_c_predicts_as_python_on_every_test_sample(digits, fitted, tmp_path, name):
    require_tool("gcc")
    b = fitted[name]
    x = classical.flatten(digits.x_test)
    got = classical.host_predict(b, x, tmp_path)
    want = b.predict(x)
    assert np.array_equal(got, want), f"{int(np.sum(got != want))} of {len(x)} differ"
    if name != "random_forest":
        assert np.array_equal(got, b.model.predict(x))
    else:
        # The C votes hard; scikit-learn averages proportions. They should rarely part ways.
        assert np.mean(got == b.model.predict(x)) >= 0.95


def test_split_bound_matches_less_or_equal():
    # A threshold on a pixel value: scikit-learn sends the equal sample left, `x < bound` must too.
    bound = classical.strict_bound(0.125)
    assert np.float32(0.125) < bound and not np.nextafter(np.float32(0.125), np.float32(1)) < bound
    bound = classical.strict_bound(0.1)  # not a float32: the largest float32 below it still goes left
    below = np.float32(0.1) if float(np.float32(0.1)) <= 0.1 else np.nextafter(np.float32(0.1), np.float32(0))
    assert below < bound and not np.nextafter(below, np.float32(1)) < bound


def test_baseline_points(digits):
    require_tool("gcc")
    points = classical.baselines(digits, seed=0)
    assert [p["name"] for p in points] == ["logistic_regression", "decision_tree", "random_forest"]
    for p in points:
        assert set(p) == KEYS
        assert p["kind"] == "classical" and p["quant"] == "float32"
        assert p["macs"] is None and p["sparsity"] is None and p["channels"] is None
        assert p["flash_target"] in ("cortex-m4", "host")
        assert p["flash_bytes"] > 0 and p["ram_bytes"] >= 0
        assert p["accuracy"] >= FLOORS[p["name"]], p
        assert p["val_accuracy"] >= FLOORS[p["name"]] - 0.05, p  # picked on it, so close to the test figure


def test_exporting_a_tree_leaves_numpy_error_handling_alone():
    # emlearn's import switches numpy to raising on any floating-point warning; that must not leak.
    # A fresh interpreter, so that emlearn is imported for the first time inside tree_c.
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from sklearn.tree import DecisionTreeClassifier\n"
        "from edgenn.optimize import classical\n"
        "before = np.geterr()\n"
        "tree = DecisionTreeClassifier(max_depth=2).fit(np.eye(4, dtype=np.float32), [0, 1, 0, 1])\n"
        "classical.tree_c(tree, 't')\n"
        "assert np.geterr() == before, np.geterr()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
