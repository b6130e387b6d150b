"""The reference architectures (resnet8, mobilenet_v1 α=0.25, fc_autoencoder) and the sine regression,
each through the whole pipeline (`edgenn run`) up to the generated C, which must be bit-exact with TFLM.

The data are small and synthetic, of the right shapes (32×32×3, 96×96×3, 640 features), with structure a
model can learn, written by the tests as .npz files: these runs check the pipeline, not the models.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edgenn import layout, toolchain
from edgenn.targets import DEVICE_TARGETS
from tests.conftest import require_target_tools, run_cli
from tests.kernels.harness import check_folder_on_target, probe_inputs, tflm_outputs

RECIPE = """
name = "{name}"
[data]
source = "npz"
path = "{data}"
seed = 0
validation_fraction = 0.2
test_fraction = 0.2
[model]
task = "{task}"
input_shape = {shape}
architecture = "{arch}"
options = {options}
[train]
epochs = {epochs}
batch_size = 16
learning_rate = 0.003
[quantize]
representative_samples = 32
"""


def _images(rng, count: int, shape: tuple[int, ...], classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Noise images whose mean colour depends on the class."""
    y = np.arange(count) % classes
    tint = rng.uniform(0.2, 0.8, size=(classes, shape[-1]))
    x = rng.normal(0.0, 0.15, size=(count, *shape)) + tint[y][:, None, None, :]
    return np.clip(x, 0.0, 1.0).astype(np.float32), y.astype(np.int64)


def _machine_sounds(rng, count: int, features: int = 640) -> tuple[np.ndarray, np.ndarray]:
    """Normal samples near an 8-dimensional subspace; anomalies (label 1, a quarter) off it."""
    basis = rng.normal(size=(8, features))
    x = rng.normal(size=(count, 8)) @ basis / 3.0 + rng.normal(0.0, 0.05, size=(count, features))
    y = (np.arange(count) % 4 == 0).astype(np.int64)
    x[y == 1] = rng.normal(0.0, 1.0, size=(int(y.sum()), features))
    return x.astype(np.float32), y


CASES = {
    "resnet8": dict(task="classification", shape=[32, 32, 3], options="{ filters = 8 }", epochs=3, count=200),
    "mobilenet_v1": dict(task="classification", shape=[96, 96, 3], options="{ alpha = 0.25 }", epochs=2, count=100),
    "fc_autoencoder": dict(
        task="anomaly", shape=[640], options="{ hidden = 64, bottleneck = 8, depth = 2 }", epochs=20, count=400
    ),
}


_BUILDS: dict[str, tuple[Path, dict]] = {}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One `edgenn run` per architecture, shared by the tests of this module."""

    def get(arch: str) -> tuple[Path, dict]:
        if arch not in _BUILDS:
            where = tmp_path_factory.mktemp(arch)
            _BUILDS[arch] = _build(where, arch)
        return _BUILDS[arch]

    yield get
    _BUILDS.clear()


def _build(tmp_path: Path, arch: str) -> tuple[Path, dict]:
    case = CASES[arch]
    rng = np.random.default_rng(0)
    if arch == "fc_autoencoder":
        x, y = _machine_sounds(rng, case["count"])
    else:
        x, y = _images(rng, case["count"], tuple(case["shape"]), 10 if arch == "resnet8" else 2)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    recipe = tmp_path / f"{arch}.toml"
    recipe.write_text(
        RECIPE.format(
            name=arch,
            data=tmp_path / "data.npz",
            task=case["task"],
            shape=case["shape"],
            arch=arch,
            options=case["options"],
            epochs=case["epochs"],
        )
    )
    out = tmp_path / "build"
    proc = run_cli("run", str(recipe), "-o", str(out))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return out, json.loads((out / "report.json").read_text())


@pytest.mark.parametrize("arch", list(CASES))
def test_architecture_runs_to_bit_exact_c(built, arch):
    out, report = built(arch)
    ops = set(report["tflite_ops"])
    if arch == "resnet8":
        assert "ADD" in ops  # the residual connections survived conversion
    if arch == "mobilenet_v1":
        assert "DEPTHWISE_CONV_2D" in ops
    agreement = report["agreement"]
    for key in ("int8", "int8_random_inputs"):
        c = agreement[key]["c_int8"]
        assert c["mismatched_bytes"] == 0, (key, c)
    by_name = {v["name"]: v for v in report["variants"]}
    assert by_name["c_int8"]["score"] == by_name["tflite_int8_tflm"]["score"]
    assert (out / "c" / "build-host" / "model.size").is_file()


@pytest.mark.parametrize("target", DEVICE_TARGETS)
@pytest.mark.parametrize("arch", list(CASES))
def test_architecture_is_bit_exact_on_every_target(built, arch, target):
    """The generated C of each architecture on every core's board that holds it (the extremes and random codes)."""
    require_target_tools(target)
    out, _ = built(arch)
    folder = out / layout.C_DIR
    shape = tuple(toolchain.manifest(folder)["input"]["shape"])
    x = probe_inputs(shape[1:], count=5).reshape(5, *shape)
    check_folder_on_target(folder, x, tflm_outputs((out / layout.TFLITE_INT8).read_bytes(), x), target)


def test_autoencoder_reports_auc(built):
    _, report = built("fc_autoencoder")
    assert report["task"] == "anomaly" and report["metric"]["name"] == "auc"
    by_name = {v["name"]: v for v in report["variants"]}
    assert by_name["tflite_int8_tflm"]["accuracy"] is None
    # Anomalies lie off the normal subspace: the reconstruction error separates them.
    assert by_name["keras_float"]["score"] > 0.9 and by_name["tflite_int8_tflm"]["score"] > 0.9, by_name


def test_sine_recipe(sine_build):
    report = json.loads((sine_build / "report.json").read_text())
    assert report["task"] == "regression" and report["metric"] == {
        "name": "mae",
        "higher_is_better": False,
        "definition": "mean absolute error of the (dequantized) outputs",
    }
    by_name = {v["name"]: v for v in report["variants"]}
    # The targets carry N(0, 0.05²) noise, whose mean absolute value is 0.04: the model is near that floor.
    assert by_name["keras_float"]["score"] < 0.07
    assert by_name["tflite_int8_tflm"]["score"] < 0.07
    assert by_name["c_int8"]["score"] == by_name["tflite_int8_tflm"]["score"]
    assert report["agreement"]["int8_random_inputs"]["c_int8"]["mismatched_bytes"] == 0
    gates = {g["name"]: g for g in report["gates"]}
    assert gates["flash_bytes"]["passed"] and gates["ram_bytes"]["passed"]


def test_accuracy_budgets_refused_for_a_regression(sine_build):
    proc = run_cli("gate", str(sine_build), "--min-accuracy", "0.9")
    assert proc.returncode == 2
    assert "--min-accuracy applies to classification models; this build's task is regression (mae)" in proc.stderr


def test_a_regression_is_gated_on_its_mae(sine_build, tmp_path):
    """`--max-mae` checks the int8 model's MAE: a limit at the measured figure passes, one just below fails."""
    build = tmp_path / "sine"
    shutil.copytree(sine_build, build)
    mae = json.loads((build / "report.json").read_text())
    mae = {v["name"]: v for v in mae["variants"]}["tflite_int8_tflm"]["score"]
    assert run_cli("gate", str(build), "--max-mae", repr(mae)).returncode == 0
    failed = run_cli("gate", str(build), "--max-mae", repr(mae * 0.99), "--json", str(tmp_path / "g.json"))
    assert failed.returncode == 1
    checks = json.loads((tmp_path / "g.json").read_text())["checks"]
    assert [c["name"] for c in checks if not c["passed"]] == ["int8_mae"]
    (check,) = [c for c in checks if c["name"] == "int8_mae"]
    assert check["value"] == mae and check["limit"] == mae * 0.99
