"""Shared fixtures: the repository's paths, tools that must exist under CI, and one digits build."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def tflm_examples() -> Path:
    require(TFLM_EXAMPLES.is_dir(), f"{TFLM_EXAMPLES}")
    return TFLM_EXAMPLES


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


@pytest.fixture(scope="session")
def digits_build(tmp_path_factory) -> Path:
    """`edgenn run models/digits_cnn.toml`, once per session, into a temporary build directory."""
    out = tmp_path_factory.mktemp("build") / "digits_cnn"
    proc = run_cli("run", str(REPO / "models" / "digits_cnn.toml"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return out


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
    """`edgenn run models/kws_dscnn.toml --data <FSDD>`, once per session (a few minutes: two trainings)."""
    require((FSDD / "recordings").is_dir(), f"{FSDD}")
    out = tmp_path_factory.mktemp("kws") / "kws_dscnn"
    proc = run_cli("run", str(KWS_RECIPE), "--data", str(FSDD), "-o", str(out))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return out


@pytest.fixture(scope="session")
def sine_build(tmp_path_factory) -> Path:
    """`edgenn run models/sine.toml`, once per session (about a minute)."""
    out = tmp_path_factory.mktemp("sine") / "sine"
    proc = run_cli("run", str(REPO / "models" / "sine.toml"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return out
