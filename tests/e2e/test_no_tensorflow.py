"""The light install: `export`, `eval` and `gate` run where the [train] extra (TensorFlow, h5py, scikit-learn,
...) cannot even be imported, and the commands that need it say so in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from edgenn import layout
from edgenn.export.carray import array_files
from tests.conftest import REPO

BLOCKER = """
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        root = name.split('.')[0]
        if root in ('tensorflow', 'keras', 'tf2onnx', 'tf_keras', 'h5py', 'sklearn', 'emlearn', 'sympy'):
            raise ModuleNotFoundError('blocked for this test: ' + name, name=name)
sys.meta_path.insert(0, Blocked())
from edgenn.cli import main
main(sys.argv[1:])
"""


def run_blocked(*args):
    return subprocess.run(
        [sys.executable, "-c", BLOCKER, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"EDGENN_QUIET": "1", "PATH": "/usr/bin:/bin"},
        timeout=600,
    )


def test_blocker_blocks():
    proc = subprocess.run(
        [sys.executable, "-c", BLOCKER.replace("from edgenn.cli import main\nmain(sys.argv[1:])", "import tensorflow")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "blocked for this test" in proc.stderr


@pytest.mark.parametrize("args", [["export"], ["eval"], ["gate"]])
def test_runs_without_tensorflow(build_copy, args):
    # What each command writes is removed first, so success means it was written again.
    made = {"export": [*array_files("digits_cnn")], "eval": [layout.REPORT_JSON, layout.REPORT_MD], "gate": []}
    for name in made[args[0]]:
        (build_copy / name).unlink()
    proc = run_blocked(*args, str(build_copy))
    assert proc.returncode == 0, proc.stderr
    assert all((build_copy / name).is_file() for name in made[args[0]])
    if args[0] == "gate":
        assert proc.stdout.count("pass") == 4


def test_train_says_what_is_missing(tmp_path):
    proc = run_blocked("train", str(REPO / "models" / "digits_cnn.toml"), "-o", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "needs TensorFlow" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_convert_of_a_keras_file_says_what_is_missing(tmp_path, suffix):
    model = tmp_path / f"model{suffix}"
    if suffix == ".keras":  # a readable archive, so that the missing extra is the first problem
        import zipfile

        with zipfile.ZipFile(model, "w") as zf:
            zf.writestr("config.json", '{"class_name": "Sequential", "config": {"layers": []}}')
    else:
        model.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    proc = run_blocked("convert", str(model), "-o", str(tmp_path / "o"))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "pip install 'edgenn[train]'" in lines[0]
    assert not (tmp_path / "o").exists()
