"""Consoles for results (stdout) and progress (stderr), and a muzzle for chatty native libraries.

TensorFlow's converter, LiteRT and TFLM log from C++ straight to file descriptors 1 and 2.
`native_quiet()` points those descriptors at a temporary file for the duration of a call; our
progress console writes to its own duplicate of the original stderr, so it stays visible.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# Piped output (CI logs, files) gets a wide fixed width so that tables are not truncated.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 140)


def _own_stderr():
    try:
        return os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1)
    except (AttributeError, OSError, ValueError):  # stderr replaced by a test harness
        return sys.stderr


err = Console(file=_own_stderr(), highlight=False)


def progress(**kwargs) -> Progress:
    """A progress bar on stderr. Quiet when EDGENN_QUIET is set (tests, CI logs)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=err,
        disable=bool(os.environ.get("EDGENN_QUIET")),
        **kwargs,
    )


@contextlib.contextmanager
def native_quiet():
    """Silence fds 1 and 2 (C++ logging) and Python warnings inside the block.

    With EDGENN_DEBUG set, nothing is silenced.
    """
    if os.environ.get("EDGENN_DEBUG"):
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def capture_fd2(fn):
    """Call `fn()` and return what native code wrote to stderr meanwhile (e.g. TFLM's allocation log)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            fn()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        return sink.read().decode("utf-8", "replace")
