"""SIGKILL at random moments: what a killed command leaves is its old output or its new one, never a mix.

Each case runs one command into an output folder that already holds a complete *old* version of its
outputs (a previous successful run with other inputs, so that old and new differ), then kills it with
SIGKILL at a random moment. Kill times are stratified over the command's normal duration, measured
by a reference run (seeded RNG: kill i falls in [i, i+1) * duration / kills). The whole process group
is killed (the command with its make, compilers and worker processes, as when a machine loses power
or a container is stopped), so that nothing writes after the kill.

What must hold after every kill, by case (OLD and NEW are the trees of a complete old and new run):

- convert, codegen (`write_dir`: the folder is one artifact): the output folder is exactly OLD or
  exactly NEW, file set and bytes.
- eval of a model file (imports the model, replacing the folder, then generates and builds the C, then
  writes the report): the folder is exactly OLD, or it holds the imported model (source.json and
  model_int8.tflite) and every other file in it is whole and as in NEW. A later stage's file may be
  absent; no old file may remain beside new ones. Not compared: edgenn.log (a log, appended to while
  the command runs, where TensorFlow may write timestamps) and c/build-<target>/obj/ (make's object
  files, which every build recompiles with make -B and nothing else reads). runner.elf and model.size
  are compared: they are artifacts that `edgenn eval DIR`, `firmware run` and the footprint read.
- sweep (per-file atomic writes, and a cache that only grows): every file is OLD's or NEW's version,
  whole; no file of OLD disappears.

Temporary files. SIGKILL runs no cleanup, so the temporaries of edgenn.fileio can stay behind:
`atomic_path` writes `.<stem>.<pid>.XXXXXXXX.tmp<suffix>` beside its destination, `write_dir` stages
`.<name>.<pid>.XXXXXXXX/` beside its folder (the next writer removes those of dead processes), and
the firmware Makefile links into `.<name>.tmp`. The contract: a leftover is acceptable only if it is such a
hidden temporary (its name is a dot-name derived from an output's name, so it never takes an output's
place), and the next successful run either removes it or ignores it: after a kill that left anything
but the complete old or new tree, the command is run again to completion on what the kill left (once
for each distinct kind of tree kills leave), and its outputs must then be exactly NEW, with no new
leftovers. Leftovers the next run does not remove are listed in the test's output. Temporary folders
the commands make under the system temporary directory (runners' inputs and outputs, sweep workers)
are pointed at a private TMPDIR and only counted; the working directory must stay empty.

Two windows that random kills rarely hit are also checked deterministically: `write_dir` replacing an
existing folder, killed with the new folder staged just before it takes the old one's place, and the
firmware build of `edgenn eval`, killed the moment runner.elf or model.size appears (milliseconds).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, TFLM_EXAMPLES, require

HELLO = TFLM_EXAMPLES / "hello_world_int8.tflite"
SPEECH = TFLM_EXAMPLES / "micro_speech_quantized.tflite"
DIGITS = REPO / "models" / "digits_cnn.toml"
SEED = 20240601
RUN_TIMEOUT_S = 600

# mkstemp / mkdtemp names: a prefix ending in the writer's process id, eight characters of this
# alphabet, a suffix; the firmware Makefile links and sizes into .<name>.tmp.
_RAND = r"\d+\.[a-z0-9_]{8}"
ATOMIC_TEMP = re.compile(rf"^\.(?P<stem>.+)\.{_RAND}\.tmp(?P<suffix>.*)$")
STAGING = re.compile(rf"^\.(?P<name>.+)\.{_RAND}$")
MAKE_TEMP = re.compile(r"^\.(?P<name>.+)\.tmp$")

Tree = dict[str, bytes]
# One point per sweep, no fine-tuning: the second sweep reuses the first one's base model and only
# converts, evaluates and sizes its point. Its jobs always run in a worker process, -j 1 included.
SWEEP_GRID = ("--channels", "1", "--sparsity", "0", "--no-classical", "-j", "1")


@dataclass(frozen=True)
class Case:
    name: str
    old: tuple[str, ...]  # the command that writes the old version ("{out}", "{data}" are filled in)
    new: tuple[str, ...]  # the command that is killed
    kills: int
    mode: str  # "tree" | "rebuild" | "files": what must hold after a kill (see the module docstring)
    first_stage: tuple[str, ...] = ()  # rebuild: the files the step that replaces the folder writes
    ignored: str | None = None  # regex of the paths that are not compared (a log, make's intermediates)


CASES = [
    Case(
        "convert",
        old=("convert", str(SPEECH), "-o", "{out}", "--task", "classification"),
        new=("convert", str(HELLO), "-o", "{out}", "--task", "regression"),
        kills=20,
        mode="tree",
    ),
    Case(
        "codegen",
        old=("codegen", str(SPEECH), "-o", "{out}"),
        new=("codegen", str(HELLO), "-o", "{out}"),
        kills=20,
        mode="tree",
    ),
    Case(
        "eval",
        old=("eval", str(SPEECH), "--data", "{data}/speech.npz", "-o", "{out}", "--task", "classification"),
        new=("eval", str(HELLO), "--data", "{data}/hello.npz", "-o", "{out}", "--task", "regression"),
        kills=14,
        mode="rebuild",
        first_stage=("out/source.json", "out/model_int8.tflite"),
        ignored=r"^out/edgenn\.log$|^out/c/build-[^/]+/obj/",
    ),
    Case(
        "sweep",
        old=("sweep", str(DIGITS), *SWEEP_GRID, "--quant", "float32", "-o", "{out}"),
        new=("sweep", str(DIGITS), *SWEEP_GRID, "--quant", "int8_per_channel", "-o", "{out}"),
        kills=10,
        mode="files",
        ignored=r"^out/run\.json$",  # the invocation's timings
    ),
]


@dataclass
class Tally:
    kills: int = 0
    finished_first: int = 0
    states: Counter = field(default_factory=Counter)
    recoveries: int = 0
    left_behind: set[str] = field(default_factory=set)  # leftovers the next run did not remove
    violations: list[str] = field(default_factory=list)


def _write_data(folder: Path) -> None:
    """Small datasets: hello_world's sine regression and random micro_speech fingerprints."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    x = rng.uniform(0.0, 2 * np.pi, size=(48, 1)).astype(np.float32)
    np.savez(folder / "hello.npz", x=x, y=np.sin(x).astype(np.float32))
    np.savez(
        folder / "speech.npz",
        x=rng.integers(-128, 128, size=(8, 1960)).astype(np.int8),
        y=rng.integers(0, 4, size=8).astype(np.int64),
    )


def _hidden(rel: str) -> bool:
    return any(part.startswith(".") for part in rel.split("/"))


def _snapshot(root: Path, ignored: str | None = None) -> Tree:
    """Every file under `root` outside hidden folders and hidden names, less `ignored`: relative path → bytes."""
    files = (p.relative_to(root).as_posix() for p in sorted(root.rglob("*")) if p.is_file())
    return {
        rel: (root / rel).read_bytes()
        for rel in files
        if not _hidden(rel) and not (ignored and re.search(ignored, rel))
    }


def _temporaries(root: Path) -> set[str]:
    """Hidden files and folders under `root` (a hidden folder's content is not listed)."""
    found = set()
    for p in sorted(root.rglob(".*")):
        rel = p.relative_to(root).as_posix()
        if not _hidden(rel.rpartition("/")[0]):
            found.add(rel + ("/" if p.is_dir() else ""))
    return found


def _restore(snapshot: Path, work: Path) -> None:
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(snapshot, work, symlinks=True)


def _group_gone(pgid: int, timeout: float = 10.0) -> None:
    """Wait until every process of the killed group has died, so that nothing writes after the check."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.005)


def _start(args: list[str], env: dict, cwd: Path, stderr) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "edgenn", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,  # its own process group: killed as a whole, never pytest
    )


def _run(args: list[str], env: dict, cwd: Path) -> float:
    """Run to completion, which must succeed; returns its duration."""
    start = time.monotonic()
    proc = _start(args, env, cwd, subprocess.PIPE)
    _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, f"edgenn {' '.join(args)} failed:\n{err.decode(errors='replace')}"
    return time.monotonic() - start


def _run_and_kill(args: list[str], env: dict, cwd: Path, at: float) -> float | None:
    """Start the command and SIGKILL its process group `at` seconds later. None if it was killed, else
    the duration of a run that finished first (it must then have succeeded)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a full pipe would stall the command
        proc = _start(args, env, cwd, err)
        try:
            proc.wait(timeout=at)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            _group_gone(proc.pid)
            return None
        err.seek(0)
        assert proc.returncode == 0, f"edgenn {' '.join(args)} failed before its kill:\n{err.read().decode()}"
    return time.monotonic() - start


def _temp_problem(rel: str, outputs: set[str]) -> str | None:
    """Why a hidden entry is not an acceptable edgenn temporary (None if it is one)."""
    parent, _, name = rel.rstrip("/").rpartition("/")
    prefix = f"{parent}/" if parent else ""
    if not rel.endswith("/") and (m := ATOMIC_TEMP.match(name)):
        if f"{prefix}{m['stem']}{m['suffix']}" in outputs:
            return None
    if not rel.endswith("/") and (m := MAKE_TEMP.match(name)):
        if f"{prefix}{m['name']}" in outputs:
            return None
    if rel.endswith("/") and (m := STAGING.match(name)):
        if any(o.startswith(f"{prefix}{m['name']}/") for o in outputs):
            return None
    return f"{rel}: hidden, but not a temporary of one of the command's outputs"


def _violations(case: Case, outputs: Tree, temps: set[str], old: Tree, new: Tree) -> list[str]:
    """What is wrong with the tree a kill left, by the case's contract."""
    known = set(old) | set(new)
    problems = [p for rel in sorted(temps) if (p := _temp_problem(rel, known))]
    if case.mode == "tree":
        if outputs != old and outputs != new:
            problems.append(_describe(outputs, old, new))
        return problems
    if case.mode == "rebuild":
        if outputs == old:
            return problems
        for rel in case.first_stage:
            if rel not in outputs:
                problems.append(f"{rel}: missing, but the old folder is gone (neither old nor new)")
        for rel, data in outputs.items():
            if rel not in new:
                problems.append(f"{rel}: an old file beside new ones")
            elif data != new[rel]:
                what = "the old version beside new files" if data == old.get(rel) else "partial or corrupt"
                problems.append(f"{rel}: {what} ({len(data)} B; the complete new one has {len(new[rel])} B)")
        return problems
    for rel in sorted(known):
        if rel in outputs:
            if outputs[rel] not in (old.get(rel), new.get(rel)):
                problems.append(f"{rel}: neither the old nor the new version ({len(outputs[rel])} B)")
        elif rel in old:
            problems.append(f"{rel}: was there before the run, and is gone")
    problems += [f"{rel}: neither an old nor a new output" for rel in outputs if rel not in known]
    return problems


def _describe(outputs: Tree, old: Tree, new: Tree) -> str:
    """One line on how a folder differs from both the old and the new tree."""
    ref, which = (new, "new") if len(set(outputs) & set(new)) >= len(set(outputs) & set(old)) else (old, "old")
    missing = sorted(set(ref) - set(outputs))
    extra = sorted(set(outputs) - set(ref))
    changed = sorted(rel for rel in set(outputs) & set(ref) if outputs[rel] != ref[rel])
    return (
        f"the folder is neither old nor new; against the {which} one: missing {missing[:5]}, "
        f"extra {extra[:5]}, different {changed[:5]} ({len(outputs)} files)"
    )


def _kind(outputs: Tree, temps: set[str], old: Tree, new: Tree) -> str:
    kind = "old" if outputs == old else "new" if outputs == new else "in between"
    return f"{kind} + temporaries" if temps else kind


def _signature(outputs: Tree, temps: set[str], old: Tree, new: Tree) -> tuple:
    """What a killed tree holds, file by file (new, old or other bytes), temporaries without their random part."""
    files = tuple(
        (rel, "new" if data == new.get(rel) else "old" if data == old.get(rel) else "other")
        for rel, data in sorted(outputs.items())
    )
    return files, tuple(sorted(re.sub(rf"\.{_RAND}(?=\.tmp|/$)", "", rel) for rel in temps))


def _kill_times(rng: random.Random, kills: int, duration: float) -> list[float]:
    return [duration * (i + rng.random()) / kills for i in range(kills)]


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.name, marks=[pytest.mark.slow] if c.name == "sweep" else []) for c in CASES]
)
def test_sigkill_leaves_old_or_new_outputs(case, tmp_path):
    require(HELLO.is_file() and SPEECH.is_file(), f"{HELLO} and {SPEECH}")
    data, cwd, private_tmp = tmp_path / "data", tmp_path / "cwd", tmp_path / "tmp"
    for folder in (cwd, private_tmp):
        folder.mkdir()
    _write_data(data)
    env = {**os.environ, "EDGENN_QUIET": "1", "TMPDIR": str(private_tmp)}
    work = tmp_path / "work"  # holds the output folder `out` and whatever edgenn stages beside it
    fill = {"out": str(work / "out"), "data": str(data)}
    old_args = [a.format(**fill) for a in case.old]
    new_args = [a.format(**fill) for a in case.new]

    work.mkdir()
    _run(old_args, env, cwd)
    old_snapshot = tmp_path / "old"
    shutil.copytree(work, old_snapshot, symlinks=True)
    old = _snapshot(work, case.ignored)
    duration = _run(new_args, env, cwd)
    new = _snapshot(work, case.ignored)
    assert old != new, "the old and the new run wrote the same files: the test could not tell them apart"
    assert not _temporaries(work), f"a successful run left temporaries: {sorted(_temporaries(work))}"

    rng = random.Random(f"{SEED}-{case.name}")
    pending = _kill_times(rng, case.kills, duration)
    tally = Tally()
    recovered: set[tuple] = set()
    while tally.kills < case.kills:
        at = pending.pop(0)
        _restore(old_snapshot, work)
        finished = _run_and_kill(new_args, env, cwd, at)
        outputs, temps = _snapshot(work, case.ignored), _temporaries(work)
        if finished is not None:  # faster than the reference run: it must have written NEW; kill earlier
            tally.finished_first += 1
            assert outputs == new and not temps, f"a run that finished before its kill at {at:.2f} s did not write NEW"
            pending.append(rng.uniform(0.0, finished))
            continue
        tally.kills += 1
        kind = _kind(outputs, temps, old, new)
        tally.states[kind] += 1
        problems = _violations(case, outputs, temps, old, new)
        if problems:
            kept = tmp_path / f"violation-{tally.kills}"
            shutil.copytree(work, kept, symlinks=True)
            tally.violations += [f"kill {tally.kills} at {at:.3f} s (kept in {kept}): {p}" for p in problems]
        if kind in ("old", "new"):
            continue  # nothing left behind: the next run starts from a complete tree
        if (signature := _signature(outputs, temps, old, new)) in recovered:
            continue  # the next run already started once from a tree like this one
        recovered.add(signature)
        # The next successful run, from what the kill left: it must write NEW and leave nothing of its own.
        tally.recoveries += 1
        _run(new_args, env, cwd)
        after, left = _snapshot(work, case.ignored), _temporaries(work)
        if after != new:
            tally.violations.append(
                f"kill {tally.kills} at {at:.3f} s: the next run did not write NEW: {_describe(after, old, new)}"
            )
        tally.violations += [f"kill {tally.kills} at {at:.3f} s: the next run left {rel}" for rel in left - temps]
        tally.left_behind |= left & temps

    in_tmp = sorted(p.name for p in private_tmp.iterdir())
    print(
        f"\n{case.name}: {tally.kills} kills over {duration:.2f} s ({tally.finished_first} runs finished first), "
        f"states {dict(tally.states)}, {tally.recoveries} next runs from distinct trees; "
        f"{len(tally.left_behind)} temporaries the next run did not remove: {sorted(tally.left_behind)[:8]}; "
        f"{len(in_tmp)} entries left in TMPDIR"
    )
    assert not any(cwd.iterdir()), f"the working directory received files: {sorted(os.listdir(cwd))}"
    assert not tally.violations, f"{len(tally.violations)} violations:\n" + "\n".join(tally.violations)


HOOK = """
import os, signal, sys
from pathlib import Path

from edgenn import fileio

def kill_before_replacing(staging, dest):
    if Path(dest).name == sys.argv[1]:
        os.kill(os.getpid(), signal.SIGKILL)  # the new folder is whole and staged beside the old one
    raise AssertionError("not reached")

fileio._replace_dir = kill_before_replacing
from edgenn.cli import main

main(sys.argv[2:])
"""


def test_sigkill_while_a_folder_is_replaced(tmp_path):
    """`write_dir` replaces an existing folder: killed just before the staged folder is renamed into
    place, the destination must still be the old folder (not gone, not partly removed)."""
    require(HELLO.is_file() and SPEECH.is_file(), f"{HELLO} and {SPEECH}")
    out = tmp_path / "work" / "c"
    env = {**os.environ, "EDGENN_QUIET": "1"}
    _run(["codegen", str(SPEECH), "-o", str(out)], env, tmp_path)
    old = _snapshot(out)
    proc = subprocess.run(
        [sys.executable, "-c", HOOK, out.name, "codegen", str(HELLO), "-o", str(out)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    staged = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    assert staged, "the hook did not fire: write_dir no longer stages its folder beside the destination"
    assert out.is_dir(), f"killed while replacing it, {out.name}/ is gone: only the staged {staged} is left"
    assert _snapshot(out) == old, f"killed while replacing it, {out.name}/ is neither the old nor the new folder"


def _kill_when(args: list[str], env: dict, cwd: Path, watched: Path) -> None:
    """Start the command and SIGKILL its process group as soon as `watched` exists."""
    proc = _start(args, env, cwd, subprocess.DEVNULL)
    while not watched.exists() and proc.poll() is None:
        pass  # a busy wait: the file may be whole within milliseconds
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _group_gone(proc.pid)
    assert proc.returncode == -signal.SIGKILL, f"edgenn {' '.join(args)} ended before {watched.name} appeared"


@pytest.mark.parametrize("artifact", ["runner.elf", "model.size"])
def test_sigkill_while_the_firmware_builds(artifact, tmp_path):
    """`edgenn eval MODEL` builds the generated C; the host build's runner.elf (what `firmware run` and
    the c_int8 variant execute) and model.size (what the footprint reads) are artifacts too: killed
    the moment one appears, it must be whole or absent."""
    require(HELLO.is_file(), f"{HELLO}")
    _write_data(tmp_path / "data")
    env = {**os.environ, "EDGENN_QUIET": "1", "TMPDIR": str(tmp_path)}
    out = tmp_path / "work" / "out"
    args = ["eval", str(HELLO), "--data", str(tmp_path / "data" / "hello.npz"), "-o", str(out), "--task", "regression"]
    _run(args, env, tmp_path)
    built = out / "c" / "build-host" / artifact
    complete = built.read_bytes()
    shutil.rmtree(out)
    _kill_when(args, env, tmp_path, built)
    if built.exists():
        size = len(built.read_bytes())
        assert built.read_bytes() == complete, f"{artifact} is partial after a kill: {size} of {len(complete)} B"
