"""Shared fixtures: the repository's paths, tools that must exist under CI, and one digits build."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EDGENN_SHARED", REPO.parent / "shared"))
TFLM_EXAMPLES = SHARED / "models" / "tflm-examples"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(ok: bool, what: str) -> None:
    """Skip when something outside the repo is missing; under CI that is a failure instead."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing (CI=true: a missing toolchain or dataset fails the run)")
    pytest.skip(f"{what} is missing")


def require_tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"tool '{name}'")
    return path


def require_target_tools(target: str) -> None:
    """Every program a target's build and run need (edgenn/targets.py), as require_tool does for one."""
    from edgenn.targets import TARGETS

    for tool, _ in TARGETS[target].tools:
        require_tool(tool)
    require_tool("make")


@pytest.fixture(scope="session")
def tflm_examples() -> Path:
    require(TFLM_EXAMPLES.is_dir(), f"{TFLM_EXAMPLES}")
    return TFLM_EXAMPLES


def run_cli_without(module: str, *args: str) -> subprocess.CompletedProcess:
    """Run `edgenn ARGS` in a process where importing `module` (and its submodules) fails, as where the
    extra that brings it is not installed."""
    blocker = (
        "import sys\n"
        "class Blocked:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] == {module!r}:\n"
        "            raise ModuleNotFoundError('blocked for this test: ' + name, name=name)\n"
        "sys.meta_path.insert(0, Blocked())\n"
        "from edgenn.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    return subprocess.run(
        [sys.executable, "-c", blocker, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"EDGENN_QUIET": "1", "PATH": "/usr/bin:/bin"},
        timeout=600,
    )


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `edgenn ARGS` as a user would: a fresh process, exit code and both streams captured."""
    full_env = {**os.environ, "EDGENN_QUIET": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "edgenn", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or REPO,
        timeout=900,
    )


def shared_run(tmp_path_factory, name: str, *args: str) -> Path:
    """`edgenn run ARGS -o <folder>`, made once for the whole test session.

    Under pytest-xdist every worker is its own session; the build goes into the folder the workers
    share and a lock file makes the first worker that needs it build it while the others wait, so
    a build is never made twice nor read half-written.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    out = root / "shared-builds" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(root / "shared-builds" / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = out.parent / f"{name}.done"
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)
            proc = run_cli("run", *args, "-o", str(out))
            assert proc.returncode == 0, proc.stderr + proc.stdout
            done.touch()
    return out


@pytest.fixture(scope="session")
def digits_build(tmp_path_factory) -> Path:
    """`edgenn run models/digits_cnn.toml`, once per test session, into a temporary build directory."""
    return shared_run(tmp_path_factory, "digits_cnn", str(REPO / "models" / "digits_cnn.toml"))


@pytest.fixture()
def build_copy(digits_build, tmp_path) -> Path:
    """A scratch copy of the digits build, for tests that damage it."""
    dest = tmp_path / "digits_cnn"
    shutil.copytree(digits_build, dest)
    return dest


FSDD = SHARED / "datasets" / "fsdd"
KWS_RECIPE = REPO / "models" / "kws_dscnn.toml"


@pytest.fixture(scope="session")
def kws_build(tmp_path_factory) -> Path:
    """`edgenn run models/kws_dscnn.toml --data <FSDD>`, once per test session (a few minutes: two trainings)."""
    require((FSDD / "recordings").is_dir(), f"{FSDD}")
    return shared_run(tmp_path_factory, "kws_dscnn", str(KWS_RECIPE), "--data", str(FSDD))


@pytest.fixture(scope="session")
def sine_build(tmp_path_factory) -> Path:
    """`edgenn run models/sine.toml`, once per test session (about a minute)."""
    return shared_run(tmp_path_factory, "sine", str(REPO / "models" / "sine.toml"))
