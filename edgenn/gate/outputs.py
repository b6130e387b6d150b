"""The gate's result for CI systems: JSON (schema 'gate'), Markdown for a pull request, JUnit XML.

One result dict (`result`) feeds every rendering, so the terminal, the PR comment, the test report and
the JSON always say the same. With GITHUB_STEP_SUMMARY set (GitHub Actions), the Markdown is also
appended to the job summary.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from edgenn import __version__, schemas
from edgenn.fileio import write_json, write_text
from edgenn.gate import compare
from edgenn.gate.budgets import Check
from edgenn.gate.snapshot import Snapshot

UP, DOWN = "▲", "▼"
LAYER_UNITS = {"const_bytes": "B", "live_bytes": "B", "macs": "", "instructions": ""}
LAYER_LABELS = {
    "const_bytes": "flash (constants)",
    "live_bytes": "RAM live",
    "macs": "MACs",
    "instructions": "instructions",
}


def _side(s: Snapshot) -> dict:
    return {"model": s.model, "path": str(s.path), "source_sha256": s.sha256}


def result(
    now: Snapshot,
    baseline: Snapshot | None,
    checks: list[Check] | None,
    command: str = "",
    all_layers: bool = False,
    notes: list[str] = (),
) -> dict:
    """The gate's (or, with checks None, the diff's) result: schema 'gate'."""
    out = {
        "schema": schemas.VERSIONS["gate"],
        "edgenn_version": __version__,
        "command": command,
        "model": now.model,
        "build": _side(now),
        "baseline": _side(baseline) if baseline else None,
        "passed": None if checks is None else all(c.passed for c in checks),
        "checks": [c.as_dict() for c in checks or []],
        "figures": compare.figures(now, baseline),
        "layers": compare.layers(now, baseline, changed_only=not all_layers),
        "notes": list(notes),
    }
    schemas.produced(out, "gate")
    return out


# ----- Markdown -------------------------------------------------------------------------------------

# What could start markup, a link, an image or HTML inside a table cell, or end the cell.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md_text(text: str) -> str:
    """Text (such as a layer name from a model file) made inert in a Markdown table cell: no markup,
    no link or HTML, one line."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text))
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(text: str) -> str:
    """Text for a code span, where backslashes do not escape: backticks and line breaks removed."""
    return "".join(ch if ch.isprintable() and ch != "`" else " " for ch in str(text))


def _fmt(value: float | None, unit: str, share: bool = False) -> str:
    """A figure as a table shows it: a share (accuracy, recall, AUC) in percent, bytes with their unit,
    large counts (instructions, averaged over inputs) rounded."""
    if value is None:
        return "—"
    if share:
        return f"{100 * value:.2f}%"
    if unit == "B":
        return f"{value:,.0f} B"
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.4g}"


def _delta(c: dict, unit: str, share: bool = False) -> str:
    """Now minus baseline with ▲/▼, and in percent of the baseline (percentage points for a share)."""
    delta, pct = c["change"], c["change_pct"]
    if delta is None:
        return "—"
    if delta == 0:
        return "="
    arrow = UP if delta > 0 else DOWN
    if share:
        return f"{arrow} {100 * delta:+.2f} pp"
    amount = _fmt(abs(delta), unit)
    return f"{arrow} {'+' if delta > 0 else '-'}{amount}" + (f" ({pct:+.2f}%)" if pct is not None else "")


def _is_share(f: dict) -> bool:
    return f["metric"] == "score" and f["higher_is_better"]


FIGURE_HEADER = ("metric", "baseline", "now", "change", "limit", "verdict")
LAYER_HEADER = ("layer", "figure", "baseline", "now", "change")


def headline(r: dict) -> str:
    if r["passed"] is None:
        return f"edgenn diff: {r['model']}"
    failed = sum(not c["passed"] for c in r["checks"])
    verdict = "passed" if not failed else f"FAILED ({failed} of {len(r['checks'])} checks)"
    return f"edgenn gate: {r['model']} {verdict}"


def figure_rows(r: dict) -> list[tuple[str, ...]]:
    """One row per total (metric, baseline, now, change, limit, verdict), then the checks that have no
    total of their own (such as the lowest class recall)."""
    by_metric: dict[str, list[dict]] = {}
    for c in r["checks"]:
        by_metric.setdefault(c.get("metric") or c["name"], []).append(c)
    rows = []
    for f in r["figures"]:
        cs = by_metric.pop(f["metric"], [])
        limit = "; ".join(c["limit_text"] for c in cs) or "—"
        verdict = "—" if not cs else ("pass" if all(c["passed"] for c in cs) else "FAIL")
        rows.append(
            (
                f["label"],
                _fmt(f["baseline"], f["unit"], _is_share(f)),
                _fmt(f["now"], f["unit"], _is_share(f)),
                _delta(f, f["unit"], _is_share(f)),
                limit,
                verdict,
            )
        )
    for metric, cs in by_metric.items():
        for c in cs:
            share = metric == "class_recall"
            verdict = "pass" if c["passed"] else "FAIL"
            base, now = _fmt(c["baseline"], c["unit"], share), _fmt(c["now"], c["unit"], share)
            rows.append((c["name"], base, now, "—", c["limit_text"], verdict))
    return rows


def layer_rows(r: dict) -> list[tuple[str, ...]]:
    """The layers that changed, one row per figure that changed (every figure of an added or removed one)."""
    rows = []
    for row in r["layers"]:
        label = row["layer"] + ("" if row["status"] in ("changed", "same") else f" ({row['status']})")
        for key, c in row["figures"].items():
            if row["status"] == "changed" and c["change"] in (0, None):
                continue
            unit = LAYER_UNITS.get(key, "")
            rows.append(
                (label, LAYER_LABELS.get(key, key), _fmt(c["baseline"], unit), _fmt(c["now"], unit), _delta(c, unit))
            )
            label = ""
    return rows


def _md_table(header, rows) -> list[str]:
    right = {"baseline", "now", "change"}
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if h in right else "---" for h in header) + "|"]
    out += ["| " + " | ".join(md_text(cell) for cell in row) + " |" for row in rows]
    return out


def markdown(r: dict) -> str:
    """The pull-request summary: the verdict, the totals against the baseline and the limits, what failed
    with its numbers, and the layers that changed."""
    failed = [c for c in r["checks"] if not c["passed"]]
    mark = "" if r["passed"] is None else ("✅ " if r["passed"] else "❌ ")
    lines = [f"### {mark}{md_text(headline(r))}", ""]
    if r["baseline"]:
        lines += [f"Baseline: `{md_code(r['baseline']['path'])}` · this build: `{md_code(r['build']['path'])}`", ""]
    lines += [*(f"> {md_text(note)}" for note in r.get("notes", [])), ""] if r.get("notes") else []
    lines += _md_table(FIGURE_HEADER, figure_rows(r))
    if failed:
        lines += ["", *(f"- **{md_text(c['name'])}**: {md_text(c['message'])}" for c in failed)]
    layers = layer_rows(r)
    if layers and r["baseline"]:
        lines += ["", f"#### Layers that changed ({sum(1 for row in layers if row[0])})", ""]
        lines += _md_table(LAYER_HEADER, layers)
    lines += ["", f"<sub>edgenn {md_text(r['edgenn_version'])}</sub>", ""]
    return "\n".join(lines)


def print_result(r: dict) -> None:
    """A gate's or a diff's result (edgenn.gate.outputs): totals, failures with their numbers, changed layers."""
    from rich.markup import escape
    from rich.table import Table

    from edgenn.console import out

    table = Table(title=escape(headline(r)))
    for col in FIGURE_HEADER:
        table.add_column(col, justify="right" if col in ("baseline", "now", "change") else "left")
    for row in figure_rows(r):
        cells = [escape(c) for c in row]
        cells[-1] = {"pass": "[green]pass", "FAIL": "[red]FAIL"}.get(row[-1], cells[-1])
        table.add_row(*cells)
    out.print(table)
    for c in r["checks"]:
        if not c["passed"]:
            out.print(f"[red]FAIL[/red] {escape(c['name'])}: {escape(c['message'])}", soft_wrap=True)
    layers = layer_rows(r)
    if layers and r["baseline"]:
        table = Table(title="layers" if r["passed"] is None else "layers that changed")
        for col in LAYER_HEADER:
            table.add_column(col, justify="right" if col in ("baseline", "now", "change") else "left")
        for row in layers:
            table.add_row(*(escape(c) for c in row))
        out.print(table)


# ----- JUnit ----------------------------------------------------------------------------------------


def junit(r: dict) -> str:
    """JUnit XML (the format CI systems show as test results): one test case per check.

    Written with the standard library's ElementTree, which escapes every attribute and text."""
    checks = r["checks"]
    failures = sum(not c["passed"] for c in checks)
    suites = ET.Element("testsuites", name="edgenn gate", tests=str(len(checks)), failures=str(failures))
    suite = ET.SubElement(
        suites, "testsuite", name=f"edgenn gate {r['model']}", tests=str(len(checks)), failures=str(failures)
    )
    suite.set("errors", "0")
    suite.set("skipped", "0")
    for c in checks:
        case = ET.SubElement(suite, "testcase", classname=f"edgenn.gate.{r['model']}", name=c["name"])
        case.set("time", "0")
        if not c["passed"]:
            failure = ET.SubElement(case, "failure", message=c["message"], type="BudgetExceeded")
            failure.text = f"{c['message']}\n{c['definition']}"
        else:
            out = ET.SubElement(case, "system-out")
            out.text = c["message"]
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# ----- files ----------------------------------------------------------------------------------------


def write(r: dict, json_path: Path | None = None, markdown_path: Path | None = None, junit_path: Path | None = None):
    """Write the asked-for files (each atomically) and append the Markdown to GitHub's job summary."""
    written = []
    if json_path:
        written.append(write_json(json_path, r, schema="gate"))
    md = markdown(r)
    if markdown_path:
        written.append(write_text(markdown_path, md))
    if junit_path and r["passed"] is not None:
        written.append(write_text(junit_path, junit(r)))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as f:  # appended: other steps write there too
            f.write(md + "\n")
    return written
