"""The GitHub Action (action.yml) run step by step as a script, on a simulated pull request.

The main branch's build is the session's digits build; its report stands for the artifact the
action downloads (GitHub cannot be reached from a test). The pull request widens the second
convolution from 32 to 48 filters. The action's own steps then run as the runner would run them,
with the runner's environment variables and files (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT): the gate
exits 1, and the summary names the layer and its bytes. `uses:` steps (setup-python,
upload-artifact) and the pip install are GitHub's own and are not run here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import junitparser
import pytest
import yaml

from edgenn import schemas
from edgenn.gate.snapshot import layer_label
from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.slow

ACTION = REPO / "action.yml"


def action_steps() -> list[dict]:
    return yaml.safe_load(ACTION.read_text())["runs"]["steps"]


def expand(text: str, context: dict[str, str]) -> str:
    """The `${{ name }}` expressions action.yml uses, replaced as the runner would."""

    def value(m: re.Match) -> str:
        expr = m.group(1).strip()
        if expr not in context:
            raise KeyError(f"action.yml uses ${{{{ {expr} }}}}, which the test does not simulate")
        return context[expr]

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def run_action(inputs: dict[str, str], tmp: Path, event: str = "pull_request") -> dict:
    """Run the action's run-steps in order; returns each step's exit code, outputs, and the summary."""
    spec = yaml.safe_load(ACTION.read_text())
    defaults = {name: str(i.get("default", "")) for name, i in spec["inputs"].items()}
    # Defaults that are expressions over the event, as the runner would evaluate them here.
    event_defaults = {"base-branch": "main", "github-token": "a-token"}
    inputs = {**{k: v for k, v in defaults.items() if "${{" not in v}, **event_defaults, **inputs}
    assert set(inputs) == set(defaults), "an input default the test does not simulate"
    context = {f"inputs.{k}": v for k, v in inputs.items()}
    context |= {"runner.temp": str(tmp / "runner-temp"), "github.workflow": "edgenn", "github.token": "unused"}
    (tmp / "runner-temp").mkdir(exist_ok=True)
    summary = tmp / "step-summary.md"
    summary.touch()
    venv_bin = str(Path(sys.executable).parent)
    ran: dict[str, dict] = {}
    for step in action_steps():
        if "uses" in step or step.get("id") == "install":
            continue
        condition = step.get("if", "")
        if condition and condition != "github.event_name == 'pull_request'":
            raise AssertionError(f"unsimulated condition {condition!r}")
        if condition and event != "pull_request":
            continue
        outputs = tmp / f"output-{step['id']}"
        outputs.write_text("")
        env = {
            **os.environ,
            "PATH": venv_bin + os.pathsep + os.environ["PATH"],
            "GITHUB_ACTION_PATH": str(REPO),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_EVENT_NAME": event,
            "GITHUB_REPOSITORY": "example/firmware",
            "EDGENN_QUIET": "1",
            **{k: expand(str(v), context) for k, v in step.get("env", {}).items()},
        }
        proc = subprocess.run(
            ["bash", "-e", "-c", expand(step["run"], context)], cwd=tmp, env=env, capture_output=True, text=True
        )
        ran[step["id"]] = {
            "returncode": proc.returncode,
            "log": proc.stdout + proc.stderr,
            "outputs": dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line),
        }
        if proc.returncode != 0:
            break
    return {"steps": ran, "summary": summary.read_text()}


def widened_recipe(tmp: Path) -> Path:
    text = (REPO / "models" / "digits_cnn.toml").read_text()
    wide = text.replace("filters = 32,", "filters = 48,")
    assert wide != text
    path = tmp / "digits_cnn.toml"
    path.write_text(wide)
    return path


def with_baseline(tmp: Path, digits_build: Path) -> None:
    """The main branch's report where the download step puts the artifact."""
    baseline = tmp / "runner-temp" / "edgenn-baseline"
    baseline.mkdir(parents=True)
    shutil.copy(digits_build / "report.json", baseline / "report.json")


def test_a_pull_request_that_widens_a_layer_fails_the_gate_and_names_the_layer(digits_build, tmp_path):
    with_baseline(tmp_path, digits_build)
    recipe = widened_recipe(tmp_path)
    result = run_action({"recipe": str(recipe), "build-dir": "build/pr"}, tmp_path)
    steps = result["steps"]
    assert steps["build"]["returncode"] == 0, steps["build"]["log"]
    assert steps["baseline"]["returncode"] == 0 and steps["baseline"]["outputs"]["found"] == "true"
    assert steps["gate"]["returncode"] == 1, steps["gate"]["log"]
    assert steps["gate"]["outputs"]["passed"] == "false"

    build = tmp_path / "build" / "pr"
    base_layers = json.loads((digits_build / "report.json").read_text())["layers"]
    pr_layers = json.loads((build / "report.json").read_text())["layers"]
    widened = [(old, new) for old, new in zip(base_layers, pr_layers, strict=True) if old["op"] == "CONV_2D"][1]
    old, new = widened
    # 16 input channels x 3 x 3 x 16 more filters of int8 weights, at the least
    assert new["const_bytes"] - old["const_bytes"] >= 16 * 9 * 16

    summary = result["summary"]
    assert "❌" in summary and "flash increase" in summary
    label = layer_label(new).replace("_", "\\_")
    row = next(line for line in summary.splitlines() if line.startswith(f"| {label} |"))
    assert f"{old['const_bytes']:,} B" in row and f"{new['const_bytes']:,} B" in row
    assert f"+{new['const_bytes'] - old['const_bytes']:,} B" in row
    assert (build / "gate.md").read_text() in summary

    gate = json.loads((build / "gate.json").read_text())
    schemas.check(gate, "gate", build / "gate.json")
    failed = [c["name"] for c in gate["checks"] if not c["passed"]]
    assert "flash_increase" in failed
    cases = [c for suite in junitparser.JUnitXml.fromfile(str(build / "gate.xml")) for c in suite]
    assert sorted(c.name for c in cases) == sorted(c["name"] for c in gate["checks"])
    assert {c.name for c in cases if not c.is_passed} == set(failed)


def test_an_unchanged_pull_request_passes(digits_build, tmp_path):
    with_baseline(tmp_path, digits_build)
    copy = f'cp -r {digits_build} "$EDGENN_BUILD_DIR"'
    result = run_action({"build-command": copy, "build-dir": "same", "budgets": "--max-ram-increase 0"}, tmp_path)
    assert result["steps"]["gate"]["returncode"] == 0, result["steps"]["gate"]["log"]
    assert result["steps"]["gate"]["outputs"]["passed"] == "true"
    assert "✅" in result["summary"] and "Layers that changed" not in result["summary"]


def test_a_push_builds_without_gating(digits_build, tmp_path):
    copy = f'cp -r {digits_build} "$EDGENN_BUILD_DIR"'
    result = run_action({"build-command": copy, "build-dir": "main"}, tmp_path, event="push")
    assert list(result["steps"]) == ["build"] and result["steps"]["build"]["returncode"] == 0
    assert result["steps"]["build"]["outputs"]["report"] == "main/report.json"


def test_a_build_without_a_report_is_refused(tmp_path):
    result = run_action({"build-command": 'mkdir -p "$EDGENN_BUILD_DIR"', "build-dir": "empty"}, tmp_path)
    assert result["steps"]["build"]["returncode"] == 2
    assert "report.json" in result["steps"]["build"]["log"]


def test_the_documented_workflows_use_the_action_as_it_is():
    """docs/ci.md's GitHub workflow passes only inputs the action has; its GitLab job runs the same script."""
    doc = (REPO / "docs" / "ci.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", doc, re.S)
    workflows = [yaml.safe_load(b) for b in blocks]
    inputs = set(yaml.safe_load(ACTION.read_text())["inputs"])
    uses = [s for w in workflows for job in (w.get("jobs") or {}).values() for s in job.get("steps", [])]
    ours = [s for s in uses if "edgenn" in str(s.get("uses", ""))]
    assert ours and all(set(s.get("with", {})) <= inputs for s in ours)
    gitlab = [w for w in workflows if any(isinstance(v, dict) and "script" in v for v in w.values())]
    assert gitlab and "ci/github/edgenn-gate.sh gate" in json.dumps(gitlab)


def test_a_class_recall_floor_names_the_weakest_class(build_copy, tmp_path):
    report = json.loads((build_copy / "report.json").read_text())
    recall = {v["name"]: v for v in report["variants"]}["tflite_int8_tflm"]["class_recall"]
    worst = min(r for r in recall if r is not None)
    label = report["data"]["labels"][recall.index(worst)]
    assert run_cli("gate", str(build_copy), "--min-class-recall", repr(worst)).returncode == 0
    junit = tmp_path / "gate.xml"
    failed = run_cli("gate", str(build_copy), "--min-class-recall", repr(worst + 1e-6), "--junit", str(junit))
    assert failed.returncode == 1
    (case,) = [c for suite in junitparser.JUnitXml.fromfile(str(junit)) for c in suite if not c.is_passed]
    assert case.name == "min_class_recall" and f"(class {label})" in case.result[0].message


def test_diff_lines_up_two_models_without_checking(tflm_examples, tmp_path):
    """`edgenn diff` on two .tflite files (analyzed, no report): every layer, nothing checked, exit 0."""
    a, b = tflm_examples / "hello_world_int8.tflite", tflm_examples / "micro_speech_quantized.tflite"
    proc = run_cli("diff", str(a), str(b), "--json", str(tmp_path / "d.json"), "--markdown", str(tmp_path / "d.md"))
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "d.json").read_text())
    schemas.check(result, "gate", tmp_path / "d.json")
    assert result["passed"] is None and result["checks"] == []
    flash = {f["metric"]: f for f in result["figures"]}["flash_bytes"]
    assert flash["baseline"] < flash["now"] and flash["change"] == flash["now"] - flash["baseline"]
    statuses = {row["status"] for row in result["layers"]}
    assert statuses <= {"same", "changed", "added", "removed"} and len(result["layers"]) >= 4
    same = run_cli("diff", str(a), str(a), "--json", str(tmp_path / "s.json"))
    assert same.returncode == 0
    result = json.loads((tmp_path / "s.json").read_text())
    assert all(f["change"] == 0 for f in result["figures"]) and {r["status"] for r in result["layers"]} == {"same"}
