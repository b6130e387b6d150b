"""Run native code in a forked child, so that a crash in it becomes an error instead of ending edgenn.

TFLM's interpreter, LiteRT and onnxruntime are C++ that trusts the model it is given. edgenn
validates every model before they see it, but validation cannot prove the absence of bugs in
those engines (LiteRT's SVDF corrupts its heap on some valid int16 inputs). `isolated(fn, ...)`
runs `fn` in a child made with fork(): the child shares the parent's imported modules (no start-up
cost beyond the fork) and sends back either its result or its exception through a pipe. A child
killed by a signal becomes a ModelFileError naming the engine and the file.

Why not multiprocessing: its "fork" pool keeps worker processes and their engines' state between
calls, and "spawn" re-imports TensorFlow-sized modules for every call.

One exception: a process that has loaded TensorFlow (a recipe after training, a Keras import) runs
the call in-process. TensorFlow's native thread pools do not survive fork() (the child crashes in
the engines' shared libraries), and the models such a process evaluates are the ones edgenn's own
converter just wrote from the user's Keras model, not files of unknown origin.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable
from typing import TypeVar

from edgenn.errors import ModelFileError

T = TypeVar("T")

_TICK = b"t"
_RESULT = b"r"
_child_tick: Callable[[], None] | None = None


def tick() -> None:
    """Inside an isolated call: report one unit of progress to the parent (a no-op elsewhere)."""
    if _child_tick is not None:
        _child_tick()


def fork_is_safe() -> bool:
    """Whether a forked child can use the native engines: not once TensorFlow is loaded (see above)."""
    return "tensorflow" not in sys.modules


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _child(fn: Callable[[], T], fd: int) -> None:
    global _child_tick
    _child_tick = lambda: _write_all(fd, _TICK)  # noqa: E731
    try:
        outcome = (True, fn())
    except BaseException as exc:  # everything goes back to the parent, which decides
        outcome = (False, exc)
    try:
        payload = pickle.dumps(outcome)
    except Exception as exc:  # an exception that cannot be pickled: send what it said
        payload = pickle.dumps((False, RuntimeError(f"{type(outcome[1]).__name__}: {exc}")))
    _write_all(fd, _RESULT + struct.pack("<Q", len(payload)) + payload)


def isolated(fn: Callable[[], T], engine: str, where, on_tick: Callable[[], None] | None = None) -> T:
    """`fn()` computed in a forked child; its exceptions are re-raised here.

    Args:
        fn: what to run; it may call `tick()` to advance the caller's progress.
        engine: the native engine's name for the message if the child dies (e.g. "LiteRT").
        where: the file the engine was given, for the same message.
        on_tick: called here once per `tick()` in the child.
    """
    if not fork_is_safe():
        global _child_tick
        saved, _child_tick = _child_tick, on_tick
        try:
            return fn()
        finally:
            _child_tick = saved
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's stack
        code = 0
        try:
            os.close(read_fd)
            _child(fn, write_fd)
        except BaseException:
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    result: bytearray | None = None
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                if result is not None:
                    result += chunk
                    continue
                at = chunk.find(_RESULT)
                for _ in range(len(chunk) if at < 0 else at):
                    if on_tick is not None:
                        on_tick()
                if at >= 0:
                    result = bytearray(chunk[at + 1 :])
    finally:
        _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        raise ModelFileError(where, f"{engine} crashed on this model ({name}); edgenn stopped it")
    size = struct.unpack_from("<Q", result)[0] if result is not None and len(result) >= 8 else -1
    if size < 0 or len(result) != 8 + size:
        code = os.waitstatus_to_exitcode(status)
        raise ModelFileError(where, f"{engine} ended without a result (exit status {code})")
    ok, value = pickle.loads(bytes(result[8:]))
    if not ok:
        raise value
    return value
