"""`edgenn gate` and `edgenn diff`: a build against its budgets and, in CI, against the main branch's build.

snapshot.py reads what is compared (a report.json, or a model analyzed), compare.py lines two up,
budgets.py turns budgets into checks, outputs.py renders the result for people and CI systems.
Exit codes: 0 every check passed, 1 a budget failed, 2 bad input (handled by the CLI).
"""

from __future__ import annotations

from pathlib import Path

from edgenn import layout
from edgenn.gate.budgets import Check, NoBudgets, checks, merge, recipe_budgets, unchecked
from edgenn.gate.outputs import result
from edgenn.gate.snapshot import Snapshot, from_report, load, load_report

__all__ = [
    "Check",
    "NoBudgets",
    "Snapshot",
    "checks",
    "diff",
    "from_report",
    "gate",
    "load",
    "load_report",
    "merge",
    "unchecked",
]


def gate(build_dir: Path, baseline: Path | None = None, command: str = "", **overrides) -> tuple[list[Check], dict]:
    """Check BUILD_DIR's report against its budgets (the recipe's, overridden by `overrides`) and, when
    given, against a baseline (a build folder or a report.json). Returns the checks and the result dict."""
    build_dir = Path(build_dir)
    now = from_report(load_report(layout.BuildDir(build_dir).require(layout.REPORT_JSON)), build_dir)
    base = load(baseline) if baseline is not None else None
    budgets = merge(recipe_budgets(build_dir), **overrides)
    found = checks(now, budgets, base, build_dir)
    notes = [f"no baseline: {', '.join(left)} not checked"] if (left := unchecked(budgets, base)) else []
    return found, result(now, base, found, command, notes=notes)


def diff(a: Path, b: Path, command: str = "") -> dict:
    """B against A (each a build folder, a report.json or a .tflite): totals and every layer, no checks."""
    return result(load(b), load(a), None, command, all_layers=True)
