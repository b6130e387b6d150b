"""Native code runs in a forked child: its crash is an error naming the engine and the file.

Each check runs in a fresh interpreter: the test process itself may have loaded TensorFlow (other
tests train models), and isolate then runs calls in-process by design, where a crash would end it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PRELUDE = """
import ctypes, os, signal, sys
import numpy as np
from edgenn.errors import DataError, ModelFileError
from edgenn.isolate import fork_is_safe, isolated, tick
assert fork_is_safe()
"""


def run(code: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def test_result_and_progress_come_back():
    out = run(
        """
        ticks = []
        def work():
            for _ in range(300):
                tick()
            return np.arange(1_000_000)
        out = isolated(work, "engine", "m.tflite", on_tick=lambda: ticks.append(1))
        print(len(ticks), out.sum() == np.arange(1_000_000).sum())
        """
    )
    assert out.stdout.split() == ["300", "True"]


def test_exceptions_cross_with_their_type_and_fields():
    out = run(
        """
        def work():
            raise DataError("x.npz", "bad shape")
        try:
            isolated(work, "engine", "m.tflite")
        except DataError as exc:
            print(exc.line())
        """
    )
    assert out.stdout.strip() == "x.npz: bad shape"


@pytest.mark.parametrize(
    "how, said",
    [
        ("ctypes.string_at(0)", "SIGSEGV"),
        ("os.kill(os.getpid(), signal.SIGABRT)", "SIGABRT"),
        ("os._exit(3)", "exit status 3"),
    ],
)
def test_a_dying_child_is_one_error_and_the_parent_lives_on(how, said):
    out = run(
        f"""
        try:
            isolated(lambda: {how}, "LiteRT", "m.tflite")
        except ModelFileError as exc:
            print(exc.line())
        print(isolated(lambda: 6 * 7, "LiteRT", "m.tflite"))
        """
    )
    first, second = out.stdout.strip().splitlines()
    assert first.startswith("m.tflite: LiteRT ") and said in first
    assert second == "42"


def test_with_tensorflow_loaded_calls_run_in_process():
    out = run(
        """
        import tensorflow  # noqa: F401
        print(fork_is_safe(), isolated(os.getpid, "engine", "m.tflite") == os.getpid())
        """
    )
    assert out.stdout.split()[-2:] == ["False", "True"]
