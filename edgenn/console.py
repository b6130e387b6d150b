"""Consoles for results (stdout) and progress (stderr), and a muzzle for chatty native libraries.

TensorFlow's converter, LiteRT and TFLM log from C++ straight to file descriptors 1 and 2.
`native_quiet()` points those descriptors at a temporary file for the duration of a call; our
progress console writes to its own duplicate of the original stderr, so it stays visible.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# Piped output (CI logs, files) gets a wide fixed width so that tables are not truncated.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 140)


def _own_stderr():
    try:
        own = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1)
    except (AttributeError, OSError, ValueError):  # stderr replaced by a test harness
        return sys.stderr
    atexit.register(own.close)
    return own


err = Console(file=_own_stderr(), highlight=False)


def quiet() -> bool:
    return bool(os.environ.get("EDGENN_QUIET"))


def progress(**kwargs) -> Progress:
    """A progress bar on stderr, in a terminal only: piped output (CI logs) gets `stage` lines instead.

    Quiet when EDGENN_QUIET is set (tests)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet() or not err.is_terminal,
        **kwargs,
    )


@contextlib.contextmanager
def stage(name: str):
    """One line on stderr when the stage ends, with its duration: a log reader sees progress as it happens."""
    start = time.perf_counter()
    yield
    if not quiet():
        err.print(f"[green]✓[/green] {name} [dim]{time.perf_counter() - start:.1f} s[/dim]", soft_wrap=True)


_held: list[list[str]] = []  # warnings of the commands running (innermost first), see held_warnings


def warning(message: str) -> None:
    """An `edgenn: warning:` line on stderr, or held until the command ends (held_warnings)."""
    if _held:
        _held[0].append(message)
    else:
        err.print(f"[yellow]edgenn: warning:[/yellow] {message}", soft_wrap=True, markup=True, highlight=False)


@contextlib.contextmanager
def held_warnings():
    """Hold warnings for the block: printed when it ends normally, dropped when it raises.

    A command that fails on bad input then prints exactly one line, its error, and not the
    warnings of the stages that ran before the input was found bad.
    """
    _held.insert(0, [])
    try:
        yield
    except BaseException:
        _held.pop(0)
        raise
    for message in _held.pop(0):
        warning(message)


_log: list[Path] = []  # where native_quiet keeps what it silenced (innermost log_into first)


@contextlib.contextmanager
def log_into(path: Path):
    """Inside the block, what native_quiet silences is appended to `path` (a build directory's log)."""
    _log.insert(0, Path(path))
    try:
        yield
    finally:
        _log.pop(0)


@contextlib.contextmanager
def native_quiet():
    """Silence fds 1 and 2 (C++ logging) and Python warnings inside the block.

    What was silenced goes to the log file of `log_into`, if any. With EDGENN_DEBUG set, nothing is silenced.
    """
    if os.environ.get("EDGENN_DEBUG"):
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
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
            if _log and _log[0].parent.is_dir():
                sink.seek(0)
                said = sink.read().decode("utf-8", "replace")
                said += "".join(f"{w.category.__name__}: {w.message}\n" for w in caught)
                if said.strip():
                    with open(_log[0], "a", encoding="utf-8") as log:
                        log.write(said if said.endswith("\n") else said + "\n")


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
