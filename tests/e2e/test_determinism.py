"""The same recipe and seed give byte-identical artifacts in two runs of `edgenn run`.

The first run is the session's `digits_build`; the second is a fresh `edgenn run` of the same recipe
into another temporary folder. Compared byte for byte:

- model_int8.tflite and model_float.tflite, with no normalization at all;
- the generated C: every file `edgenn codegen` writes into c/ (<name>.c, <name>.h, edgenn.json and the
  edgenn/ kernels and headers; not the build-<target>/ folders the compiler writes, whose model.size
  lists absolute object paths), and the `edgenn export` array <name>_data.h/.c;
- report.json and report.md.

The one thing normalized is the build folder's absolute path, replaced by "<build>". It appears only
in the command line each file records (report.json's `command` field, the `command:` line of
report.md, the `Command:` line of the C files' header comment, edgenn.json's `command` field), and the
test checks that it appears nowhere else. Nothing else (no timestamp, no timing, no temporary path)
is allowed to differ. Files that are expected to differ and are not compared: model.keras (Keras
writes the save date into it), history.json (`train_seconds`), edgenn.log, and the ONNX files.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from tests.conftest import REPO, run_cli

RECIPE = REPO / "models" / "digits_cnn.toml"
MODELS = ("model_int8.tflite", "model_float.tflite")
REPORTS = ("report.json", "report.md")
PLACEHOLDER = "<build>"


def _c_sources(build: Path) -> list[str]:
    """Relative paths of the generated C: c/ without its build-<target>/ folders, and the exported array."""
    c = build / "c"
    generated = [
        p.relative_to(build).as_posix()
        for p in sorted(c.rglob("*"))
        if p.is_file() and not p.relative_to(c).parts[0].startswith("build-")
    ]
    exported = [p.name for p in sorted(build.glob("*_data.[ch]"))]
    return generated + exported


def _normalized(build: Path, rel: str) -> str:
    """The file's text with the build folder's path replaced, after checking it occurs only on command lines."""
    text = (build / rel).read_text(encoding="utf-8")
    where = str(build)
    for line in text.splitlines():
        if where in line:
            assert "command" in line.lower(), f"{rel}: the build path appears outside the command line: {line!r}"
    return text.replace(where, PLACEHOLDER)


def test_same_recipe_and_seed_give_identical_artifacts(digits_build, tmp_path):
    second = tmp_path / "digits_cnn"
    proc = run_cli("run", str(RECIPE), "-o", str(second))
    assert proc.returncode == 0, proc.stderr + proc.stdout

    for name in MODELS:
        assert (digits_build / name).read_bytes() == (second / name).read_bytes(), f"{name} differs between runs"

    sources = _c_sources(digits_build)
    assert "c/digits_cnn.c" in sources and "c/edgenn.json" in sources and any(s.endswith("_data.c") for s in sources)
    assert _c_sources(second) == sources, "the two runs generated different sets of C files"
    for rel in sources:
        assert _normalized(digits_build, rel) == _normalized(second, rel), f"{rel} differs between runs"

    for rel in REPORTS:
        assert _normalized(digits_build, rel) == _normalized(second, rel), f"{rel} differs between runs"
    first_report, second_report = (json.loads(_normalized(b, "report.json")) for b in (digits_build, second))
    command = shlex.join(["edgenn", "run", str(RECIPE), "-o", str(digits_build)])
    assert first_report["command"] == command.replace(str(digits_build), PLACEHOLDER)
    assert first_report == second_report
