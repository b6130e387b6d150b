"""`export`, `eval` and `gate` run where TensorFlow cannot even be imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from edgenn import layout
from tests.conftest import REPO

BLOCKER = """
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('tensorflow', 'keras', 'tf2onnx', 'tf_keras'):
            raise ImportError('blocked for this test: ' + name)
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
    made = {"export": [layout.C_HEADER, layout.C_SOURCE], "eval": [layout.REPORT_JSON, layout.REPORT_MD], "gate": []}
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
