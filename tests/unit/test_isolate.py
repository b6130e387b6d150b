"""Native code runs in a forked child: its crash is an error naming the engine and the file."""

from __future__ import annotations

import ctypes
import os
import signal

import numpy as np
import pytest

from edgenn.errors import DataError, ModelFileError
from edgenn.isolate import isolated, tick


def test_result_and_progress_come_back():
    ticks = []

    def work():
        for _ in range(300):
            tick()
        return np.arange(1_000_000)

    out = isolated(work, "engine", "m.tflite", on_tick=lambda: ticks.append(1))
    assert len(ticks) == 300 and out.sum() == np.arange(1_000_000).sum()


def test_exceptions_cross_with_their_type_and_fields():
    def work():
        raise DataError("x.npz", "bad shape")

    with pytest.raises(DataError) as info:
        isolated(work, "engine", "m.tflite")
    assert info.value.line() == "x.npz: bad shape"


@pytest.mark.parametrize("how", ["segv", "abort", "exit"])
def test_a_dying_child_is_one_error(how):
    def work():
        if how == "segv":
            ctypes.string_at(0)
        elif how == "abort":
            os.kill(os.getpid(), signal.SIGABRT)
        os._exit(3)

    with pytest.raises(ModelFileError) as info:
        isolated(work, "LiteRT", "m.tflite")
    line = info.value.line()
    assert line.startswith("m.tflite: LiteRT ")
    assert {"segv": "SIGSEGV", "abort": "SIGABRT", "exit": "exit status 3"}[how] in line


def test_the_parent_lives_on_after_a_crash():
    with pytest.raises(ModelFileError):
        isolated(lambda: ctypes.string_at(0), "TFLM", "m.tflite")
    assert isolated(lambda: 6 * 7, "TFLM", "m.tflite") == 42
