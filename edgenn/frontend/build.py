"""Compile a generated frontend folder with its test runner, and run it on clips (host, or a Cortex-M4 in QEMU).

The runner (edgenn/firmware/frontend/frontend_runner.c) reads `clips.bin` and writes `features.bin` in its
working directory; the Cortex-M4 build reaches the host's files through semihosting, as the model
runner does (`edgenn.toolchain`).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from edgenn.clib import FIRMWARE
from edgenn.errors import BuildDirError, DataError, EdgeNNError
from edgenn.frontend.csrc import MANIFEST, cmsis_dsp_root, write_frontend
from edgenn.toolchain import emulator, execute, float_make_vars, require_tools

MAKEFILE_DIR = FIRMWARE / "frontend"
RUNNER = "frontend_runner.elf"


def build_dir(folder: Path, target: str) -> Path:
    return Path(folder) / f"build-{target}"


def build_frontend(spec, folder: Path, target: str = "host") -> Path:
    """Write the frontend for `spec` into `folder` and compile it with the runner; returns the runner's path.

    Incremental: a second build of an unchanged folder only relinks what make finds out of date.
    """
    require_tools(target)
    folder = write_frontend(spec, Path(folder))
    root = cmsis_dsp_root()
    out = build_dir(folder, target)
    cmd = [
        "make",
        "-s",
        "-C",
        str(MAKEFILE_DIR),
        *float_make_vars(target),
        f"FRONTEND={folder.resolve()}",
        f"CMSISDSP={root}",
        f"OUT={out.resolve()}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        errors = [line for line in lines if "error" in line.lower()] or lines
        raise EdgeNNError(folder, "frontend compilation failed: " + " | ".join(errors[:6]))
    return out / RUNNER


def _manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BuildDirError(folder, f"not a generated frontend folder (no {MANIFEST})")
    return json.loads(path.read_text())


def run_frontend(folder: Path, clips: np.ndarray, target: str = "host") -> np.ndarray:
    """Features of (N, clip_samples) int16 clips computed by the built runner: (N, frames, coefficients) float32."""
    folder = Path(folder)
    m = _manifest(folder)
    spec = m["spec"]
    require_tools(target)
    elf = build_dir(folder, target) / RUNNER
    if not elf.is_file():
        raise BuildDirError(elf, f"missing: build the frontend for {target} first")
    clips = np.asarray(clips)
    if clips.ndim != 2 or clips.shape[1] != spec["clip_samples"] or clips.dtype != np.int16:
        raise DataError(None, f"expected (N, {spec['clip_samples']}) int16 clips, got {clips.shape} {clips.dtype}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "clips.bin").write_bytes(np.ascontiguousarray(clips, dtype="<i2").tobytes())
        if target == "host":
            cmd = [str(elf.resolve()), "clips.bin", "features.bin"]
        else:
            cmd = emulator(elf, target)
        execute(cmd, tmp, elf)
        out = np.fromfile(tmp / "features.bin", dtype="<f4")
    shape = (len(clips), m["frames"], spec["mfcc_coefficients"])
    if out.size != int(np.prod(shape)):
        raise EdgeNNError(elf, f"runner wrote {out.size} values for {len(clips)} clips, expected {int(np.prod(shape))}")
    return out.reshape(shape).astype(np.float32)
