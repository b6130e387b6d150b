"""Bad input: one line naming the file and the problem, exit 2, no traceback, no partial artifact."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn import layout
from edgenn.export.carray import array_files
from tests.conftest import REPO, run_cli

DIGITS = REPO / "models" / "digits_cnn.toml"


def assert_bad_input(proc, *needles):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("edgenn: error: ")
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def no_new_files(before: set, directory):
    return {p.name for p in directory.iterdir()} - before


@pytest.mark.parametrize(
    "change, needle",
    [
        (("epochs = 30", 'epochs = "many"'), "'train.epochs' must be integer"),
        (('type = "relu" }', 'type = "gelu_fancy" }'), "unknown layer type 'gelu_fancy'"),
        (("[train]", "[train]\nwarmup = 3"), "unknown key 'train.warmup'"),
    ],
)
def test_bad_recipe(tmp_path, change, needle):
    recipe = tmp_path / "bad.toml"
    recipe.write_text(DIGITS.read_text().replace(*change, 1))
    proc = run_cli("train", str(recipe), "-o", str(tmp_path / "out"))
    assert_bad_input(proc, str(recipe), needle)
    assert not (tmp_path / "out").exists()


def test_missing_recipe(tmp_path):
    assert_bad_input(run_cli("run", str(tmp_path / "nope.toml")), "nope.toml", "recipe not found")


@pytest.mark.parametrize("command", ["convert", "export", "eval", "gate"])
def test_missing_build_dir(tmp_path, command):
    assert_bad_input(run_cli(command, str(tmp_path / "nowhere")), "nowhere")


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
@pytest.mark.parametrize("command", ["eval", "export"])
def test_corrupt_tflite(build_copy, damage, command):
    model = build_copy / layout.TFLITE_INT8
    data = model.read_bytes()
    model.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\x00" * 4 + b"TFL3" + b"\xff" * 64)
    for name in (*array_files("digits_cnn"), layout.REPORT_JSON, layout.REPORT_MD, layout.PLOT):
        (build_copy / name).unlink()
    before = {p.name for p in build_copy.iterdir()}
    assert_bad_input(run_cli(command, str(build_copy)), str(model), "TFLite")
    assert no_new_files(before, build_copy) == set()


def test_corrupt_onnx(build_copy):
    model = build_copy / layout.ONNX_INT8
    model.write_bytes(model.read_bytes()[:1000])
    (build_copy / layout.REPORT_JSON).unlink()
    assert_bad_input(run_cli("eval", str(build_copy)), str(model), "ONNX")
    assert not (build_copy / layout.REPORT_JSON).exists()


def test_data_of_the_wrong_shape(build_copy, tmp_path):
    bad = tmp_path / "wrong.npz"
    np.savez(bad, x=np.zeros((4, 7, 7, 1), np.float32), y=np.zeros(4, np.int64))
    assert_bad_input(run_cli("eval", str(build_copy), "--data", str(bad)), str(bad), "(7, 7, 1)", "(8, 8, 1)")


def test_npz_recipe_with_wrong_shape(tmp_path):
    data = tmp_path / "samples.npz"
    np.savez(data, x=np.zeros((50, 4, 4, 1), np.float32), y=np.arange(50) % 10)
    recipe = tmp_path / "npz.toml"
    recipe.write_text(DIGITS.read_text().replace('source = "digits"', f'source = "npz"\npath = "{data.name}"'))
    assert_bad_input(run_cli("train", str(recipe), "-o", str(tmp_path / "out")), str(data), "(4, 4, 1)")


def test_eval_on_user_data(build_copy, tmp_path):
    from edgenn.data.splits import load_build_data

    d = load_build_data(build_copy)
    npz = tmp_path / "mine.npz"
    np.savez(npz, x=d.x_test[:40], y=d.y_test[:40])
    proc = run_cli("eval", str(build_copy), "--data", str(npz))
    assert proc.returncode == 0, proc.stderr
    import json

    report = json.loads((build_copy / layout.REPORT_JSON).read_text())
    assert report["data"]["samples"] == 40
    assert "keras_float" not in {v["name"] for v in report["variants"]}


class TestGateExitCodes:
    """gate writes its checks into the report, so each test gates its own copy of the digits build."""

    def test_pass(self, build_copy):
        proc = run_cli("gate", str(build_copy))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.count("pass") == 4

    def test_budget_failure(self, build_copy):
        proc = run_cli("gate", str(build_copy), "--max-flash", "1000")
        assert proc.returncode == 1
        assert "FAIL" in proc.stdout and "flash_bytes" in proc.stdout

    def test_accuracy_limits_are_exact(self, build_copy):
        # The measured accuracy passes as a limit and fails a hair above it.
        import json

        gates = {g["name"]: g for g in json.loads((build_copy / layout.REPORT_JSON).read_text())["gates"]}
        acc, drop = gates["int8_accuracy"]["value"], gates["accuracy_drop_pp"]["value"]
        big = ["--max-flash", "10000000", "--max-ram", "10000000"]
        assert (
            run_cli("gate", str(build_copy), *big, "--min-accuracy", repr(acc), "--max-drop", repr(drop)).returncode
            == 0
        )
        assert run_cli("gate", str(build_copy), *big, "--min-accuracy", repr(acc + 1e-6)).returncode == 1

    @pytest.mark.parametrize("args", [["--max-flash", "-5"], ["--min-accuracy", "2"], ["--max-ram", "lots"]])
    def test_bad_options(self, build_copy, args):
        assert_bad_input(run_cli("gate", str(build_copy), *args), args[0])

    def test_missing_report(self, build_copy):
        (build_copy / layout.REPORT_JSON).unlink()
        assert_bad_input(run_cli("gate", str(build_copy)), "report.json", "edgenn eval")


def test_a_native_crash_is_one_line(tflm_examples, tmp_path):
    # LiteRT's SVDF kernel crashes on this valid TFLM example: edgenn reports it and exits 2.
    x = np.random.default_rng(0).uniform(-0.06, 0.06, size=(20, 96)).astype(np.float32)
    np.savez(tmp_path / "x.npz", x=x, y=np.zeros(20, dtype=np.int64))
    model = tflm_examples / "keyword_scrambled_8bit.tflite"
    proc = run_cli("eval", str(model), "--data", str(tmp_path / "x.npz"), "-o", str(tmp_path / "out"))
    assert proc.returncode in (0, 2), proc.stderr  # never a signal, never a traceback
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:
        errors = [line for line in proc.stderr.splitlines() if line.startswith("edgenn: error:")]
        assert len(errors) == 1 and "crashed on this model" in errors[0], proc.stderr
        assert not (tmp_path / "out").exists()  # the failed command leaves nothing behind
