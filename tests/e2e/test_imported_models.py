"""A model trained elsewhere goes all the way: `convert` → `eval --data` → `gate`, or `eval MODEL --data -o`.

The gate's exit code follows the budget, its result is written into the report, and an imported
autoencoder is scored by ROC AUC of its reconstruction error.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgenn import layout
from edgenn.evaluate import metrics
from edgenn.evaluate.footprint import TFLM_RUNTIME_BYTES
from edgenn.evaluate.runners import TFLMRunner
from edgenn.graph.quant import dequantize
from tests.conftest import require_tool, run_cli
from tests.e2e.test_cli_errors import assert_bad_input


def report_of(build) -> dict:
    return json.loads((build / layout.REPORT_JSON).read_text())


@pytest.fixture(scope="module")
def sine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sine")
    x = np.linspace(0.0, 2 * np.pi, 120, dtype=np.float32).reshape(120, 1)
    np.savez(folder / "sine.npz", x=x, y=np.sin(x))
    return folder / "sine.npz"


@pytest.fixture(scope="module")
def hello_world(tflm_examples, sine, tmp_path_factory):
    """TFLM's hello_world int8 model imported as a regression model and evaluated on sine data."""
    build = tmp_path_factory.mktemp("imported") / "hw"
    model = tflm_examples / "hello_world_int8.tflite"
    proc = run_cli("convert", str(model), "-o", str(build), "--task", "regression")
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("eval", str(build), "--data", str(sine))
    assert proc.returncode == 0, proc.stderr
    return build


def test_eval_scores_the_imported_model_on_the_given_data(hello_world, sine):
    report = report_of(hello_world)
    assert report["task"] == "regression" and report["metric"]["name"] == "mae"
    assert report["data"] == {"split": str(sine), "samples": 120, "labels": []}
    tflm = {v["name"]: v for v in report["variants"]}["tflite_int8_tflm"]
    with np.load(sine) as npz:
        x, y = npz["x"], npz["y"]
    runner = TFLMRunner(hello_world / layout.TFLITE_INT8)
    want = metrics.mae(dequantize(runner.predict(x), runner.output_quant), y)
    assert tflm["score"] == pytest.approx(want, rel=0, abs=1e-12)
    assert want < 0.1  # the example model does fit a sine


def test_gate_exit_codes_and_the_written_result(hello_world):
    foot = report_of(hello_world)["footprint"]
    size = (hello_world / layout.TFLITE_INT8).stat().st_size
    assert foot["flash_source"].startswith("tflite+")  # no C built: the .tflite under TFLM
    assert foot["flash_bytes"] == size + TFLM_RUNTIME_BYTES
    size = foot["flash_bytes"]
    passed = run_cli("gate", str(hello_world), "--max-flash", str(size))
    assert passed.returncode == 0, passed.stderr
    assert report_of(hello_world)["gates"][0]["passed"] is True

    failed = run_cli("gate", str(hello_world), "--max-flash", str(size - 1))
    assert failed.returncode == 1, failed.stderr
    gates = report_of(hello_world)["gates"]
    assert [(g["name"], g["value"], g["limit"], g["passed"]) for g in gates] == [("flash_bytes", size, size - 1, False)]
    md = (hello_world / layout.REPORT_MD).read_text()
    assert f"| flash_bytes | {size} | {size - 1} | FAIL |" in md and "| pass |" not in md


def test_an_imported_build_without_data_says_to_pass_data(hello_world):
    assert_bad_input(run_cli("eval", str(hello_world)), "data.npz", "--data")


def test_eval_of_a_model_file_imports_builds_and_runs_the_c(tflm_examples, sine, tmp_path):
    require_tool("gcc")
    require_tool("make")
    build = tmp_path / "hw"
    model = tflm_examples / "hello_world_int8.tflite"
    proc = run_cli("eval", str(model), "--data", str(sine), "-o", str(build), "--task", "regression")
    assert proc.returncode == 0, proc.stderr
    report = report_of(build)
    assert report["model"] == "hello_world_int8"
    agreement = report["agreement"]["int8"]["c_int8"]
    assert agreement["mismatched_bytes"] == 0 and agreement["total_bytes"] == 120
    assert report["footprint"]["flash_source"].startswith("c:")
    assert "generated C" in report["footprint"]["definitions"]["flash_bytes"]


@pytest.fixture(scope="module")
def autoencoder(tmp_path_factory):
    """A small dense autoencoder trained here on one cluster: points far from it reconstruct badly."""
    from edgenn.tfimport import tensorflow

    tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    folder = tmp_path_factory.mktemp("ae")
    rng = np.random.default_rng(0)
    normal = (0.5 + 0.05 * rng.standard_normal((400, 8))).astype(np.float32)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.Dense(8)], name="ae")
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    model.fit(normal, normal, epochs=40, batch_size=32, verbose=0)
    model.save(folder / "ae.keras")
    np.savez(folder / "calib.npz", x=normal[:100])
    anomalous = rng.uniform(0.0, 1.0, (60, 8)).astype(np.float32)
    x = np.concatenate([normal[300:360], anomalous])
    np.savez(folder / "test.npz", x=x, y=np.r_[np.zeros(60), np.ones(60)].astype(np.int64))
    np.savez(folder / "normal.npz", x=normal[300:360])
    return folder


def test_an_imported_autoencoder_is_scored_by_roc_auc(autoencoder, tmp_path):
    build = tmp_path / "ae"
    proc = run_cli(
        "convert", str(autoencoder / "ae.keras"), "--calib", str(autoencoder / "calib.npz"), "-o", str(build)
    )
    assert proc.returncode == 0, proc.stderr
    assert "scored as an autoencoder" in proc.stderr
    proc = run_cli("eval", str(build), "--data", str(autoencoder / "test.npz"))
    assert proc.returncode == 0, proc.stderr
    report = report_of(build)
    assert report["task"] == "anomaly" and report["metric"]["name"] == "auc"
    with np.load(autoencoder / "test.npz") as npz:
        x, y = npz["x"], npz["y"]
    runner = TFLMRunner(build / layout.TFLITE_INT8)
    out = dequantize(runner.predict(x), runner.output_quant)
    want = metrics.roc_auc(metrics.reconstruction_error(out, x), y != 0)
    tflm = {v["name"]: v for v in report["variants"]}["tflite_int8_tflm"]
    assert tflm["score"] == pytest.approx(want, rel=0, abs=1e-12)
    assert want > 0.9  # the uniform points are far from the training cluster
    # An anomaly detector is gated on its ROC AUC.
    assert run_cli("gate", str(build), "--min-auc", repr(tflm["score"])).returncode == 0
    if tflm["score"] < 1.0:
        above = min(1.0, tflm["score"] + 1e-3)
        assert run_cli("gate", str(build), "--min-auc", repr(above)).returncode == 1
    refused = run_cli("gate", str(build), "--min-class-recall", "0.5")
    assert refused.returncode == 2 and "applies to classification models" in refused.stderr

    # Without labels every sample is normal: the score is the mean reconstruction error.
    proc = run_cli("eval", str(build), "--data", str(autoencoder / "normal.npz"))
    assert proc.returncode == 0, proc.stderr
    report = report_of(build)
    assert report["metric"]["name"] == "mse" and report["metric"]["higher_is_better"] is False
    x = x[:60]
    out = dequantize(runner.predict(x), runner.output_quant)
    tflm = {v["name"]: v for v in report["variants"]}["tflite_int8_tflm"]
    assert tflm["score"] == pytest.approx(float(np.mean(metrics.reconstruction_error(out, x))), rel=1e-12)


def test_anomaly_labels_must_hold_both_kinds(hello_world, tmp_path):
    x = np.zeros((4, 1), np.float32)
    np.savez(tmp_path / "one_kind.npz", x=x, y=np.zeros(4, np.int64))
    build = tmp_path / "hw"
    proc = run_cli("convert", str(hello_world / layout.TFLITE_INT8), "-o", str(build), "--task", "anomaly")
    assert proc.returncode == 0, proc.stderr
    assert_bad_input(run_cli("eval", str(build), "--data", str(tmp_path / "one_kind.npz")), "normal (0) and anomalous")
