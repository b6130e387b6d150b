"""Atomic writes: an artifact is either whole or absent, never partial."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _remove_stale(parent: Path, prefix: str) -> None:
    """Remove what a killed writer left beside its destination: hidden `<prefix><pid>.…` entries whose
    process is gone. A process that dies by SIGKILL cannot clean up; the next writer does."""
    if not parent.is_dir():
        return
    for p in parent.iterdir():
        if not p.name.startswith(prefix):
            continue
        pid = p.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    p.unlink()


@contextlib.contextmanager
def atomic_path(dest: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `dest`; rename it onto `dest` only if the block succeeds.

    The temporary file keeps `dest`'s suffix, so libraries that pick a format from the file
    name (Keras, matplotlib) still do the right thing. Its name carries the writer's process id,
    so that temporaries of a killed writer are recognised and removed by the next one.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{dest.stem}."
    _remove_stale(dest.parent, prefix)
    fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}.", suffix=f".tmp{dest.suffix}", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; artifacts get ordinary permissions
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(dest: str | Path, data: bytes) -> Path:
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def write_text(dest: str | Path, text: str) -> Path:
    return write_bytes(dest, text.encode("utf-8"))


def write_json(dest: str | Path, obj, schema: str | None = None) -> Path:
    """`obj` as JSON, atomically; with `schema` (a name in edgenn.schemas), checked against it first."""
    if schema is not None:
        from edgenn.schemas import produced

        produced(obj, schema)
    return write_text(dest, json.dumps(obj, indent=2, sort_keys=False, allow_nan=False) + "\n")


def write_npy(dest: str | Path, array) -> Path:
    import numpy as np

    with atomic_path(dest) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array)
    return Path(dest)


def sha256_file(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_dir(dest: str | Path, files: dict[str, bytes | str]) -> Path:
    """Write a whole folder (relative path → content) beside `dest`, then rename it onto `dest`.

    A failure leaves no partial folder; an existing `dest` is replaced only once the new one is whole.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{dest.name}."
    _remove_stale(dest.parent, prefix)
    staging = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}.", dir=dest.parent))
    try:
        for rel, content in files.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        staging.chmod(0o755)
        _replace_dir(staging, dest)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return dest


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 with RENAME_EXCHANGE); False where the OS cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def _replace_dir(staging: Path, dest: Path) -> None:
    """Put the folder `staging` at `dest`. An existing `dest` is exchanged with it atomically, so that at
    every instant `dest` is the whole old folder or the whole new one; the old one, now at the staging
    path, is then removed (if that is interrupted, the next writer removes the rest)."""
    if not dest.exists():
        staging.rename(dest)
    elif _exchange(staging, dest):
        shutil.rmtree(staging)
    else:  # no atomic exchange here: the old folder steps aside for the shortest possible moment
        aside = dest.parent / f".{dest.name}.{os.getpid()}.old"
        dest.rename(aside)
        staging.rename(dest)
        shutil.rmtree(aside)
