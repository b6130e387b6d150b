"""edgenn installed from its wheel (no -e, no checkout on the path) compiles a TFLM example to C that
runs on the host, byte for byte as TFLM runs the model.

The wheel is built from a copy of the sources (so the checkout stays untouched) and installed without
its dependencies into a fresh venv whose path ends with this environment's site-packages: the
dependencies are shared, edgenn and its C library come only from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest

from edgenn.evaluate.runners import TFLMRunner
from tests.conftest import REPO, require_tool

pytestmark = pytest.mark.slow


def _sh(*cmd, cwd=None, env=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "edgenn", src / "edgenn", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path_factory.mktemp("dist")
    _sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, src)
    (found,) = dist.glob("edgenn-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    env = tmp_path_factory.mktemp("venv") / "v"
    _sh(sys.executable, "-m", "venv", "--without-pip", env)
    site = next((env / "lib").glob("python*/site-packages"))
    (site / "zz_shared_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _sh(sys.executable, "-m", "pip", "--python", env / "bin" / "python", "install", "-q", "--no-deps", wheel)
    return env


def test_the_wheel_holds_the_c_library(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    c_files = [n for n in names if n.endswith((".c", ".h"))]
    for needed in (
        "edgenn/firmware/Makefile",
        "edgenn/firmware/src/conv_2d.c",
        "edgenn/firmware/include/edgenn/edgenn.h",
        "edgenn/firmware/targets/runner.c",
        "edgenn/firmware/targets/cortex-m/cortex-m.ld",
        "edgenn/firmware/kws/Makefile",
        "edgenn/schemas/common-1.schema.json",
        "edgenn/schemas/report-1.schema.json",
        "edgenn/schemas/gate-1.schema.json",
    ):
        assert needed in names
    assert len(c_files) >= 40


def test_installed_wheel_codegen_build_run_is_bit_exact_with_tflm(venv, tflm_examples, tmp_path):
    require_tool("gcc")
    require_tool("make")
    model = tflm_examples / "hello_world_int8.tflite"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["EDGENN_QUIET"] = "1"
    edgenn = [venv / "bin" / "python", "-m", "edgenn"]
    where = _sh(
        venv / "bin" / "python",
        "-c",
        "import edgenn, edgenn.clib as c; print(edgenn.__file__); print(c.SRC)",
        cwd=tmp_path,
        env=env,
    ).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where  # not the checkout

    x = np.linspace(0.0, 2 * np.pi, 64, dtype=np.float32).reshape(64, 1, 1)
    np.save(tmp_path / "x.npy", x)
    _sh(*edgenn, "codegen", model, "-o", tmp_path / "c", cwd=tmp_path, env=env)
    _sh(*edgenn, "firmware", "build", tmp_path / "c", cwd=tmp_path, env=env)
    _sh(
        *edgenn,
        "firmware",
        "run",
        tmp_path / "c",
        "--inputs",
        tmp_path / "x.npy",
        "--outputs",
        tmp_path / "y.npy",
        cwd=tmp_path,
        env=env,
    )
    got = np.load(tmp_path / "y.npy")
    want = TFLMRunner(model).predict(x.reshape(64, 1))
    assert got.dtype == want.dtype == np.int8
    np.testing.assert_array_equal(got.reshape(want.shape), want)
