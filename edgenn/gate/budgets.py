"""Budgets → checks: each budget that is set becomes one Check of this build (and of its baseline).

Absolute budgets hold on their own (flash, RAM, instructions, the task's metric, the lowest class
recall, the float→int8 drop). Increases (flash, RAM, latency, as '2%' or an amount) and the accuracy
drop against a baseline apply when there is one; a recipe's such budgets are skipped without one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from edgenn import layout
from edgenn.errors import BuildDirError, EdgeNNError
from edgenn.evaluate.metrics import lowest_recall
from edgenn.gate.snapshot import INT8_VARIANT, Snapshot
from edgenn.recipe import Budgets, Increase, load_recipe

BASELINE_BUDGETS = (
    "max_flash_increase",
    "max_ram_increase",
    "max_latency_increase",
    "max_accuracy_drop_from_baseline_pp",
)
# The option that sets each budget, for messages.
OPTION = {
    "max_flash_bytes": "--max-flash",
    "max_ram_bytes": "--max-ram",
    "max_instructions": "--max-instructions",
    "min_int8_accuracy": "--min-accuracy",
    "min_class_recall": "--min-class-recall",
    "max_mae": "--max-mae",
    "min_auc": "--min-auc",
    "max_accuracy_drop_pp": "--max-drop",
    "max_flash_increase": "--max-flash-increase",
    "max_ram_increase": "--max-ram-increase",
    "max_latency_increase": "--max-latency-increase",
    "max_accuracy_drop_from_baseline_pp": "--max-accuracy-drop",
}
# Budgets on the task's metric, and the task each applies to.
TASK_BUDGETS = {
    "min_int8_accuracy": "classification",
    "min_class_recall": "classification",
    "max_accuracy_drop_pp": "classification",
    "max_mae": "regression",
    "min_auc": "anomaly",
}


class NoBudgets(EdgeNNError):
    """Neither the recipe nor the options set a budget: there is nothing to check."""


@dataclass(frozen=True)
class Check:
    name: str
    value: float  # what is compared with the limit (for an increase: now minus baseline)
    limit: float
    passed: bool
    unit: str
    definition: str
    metric: str = ""  # the figure checked
    now: float | None = None
    baseline: float | None = None
    limit_text: str = ""
    message: str = ""

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def recipe_budgets(build_dir: Path) -> Budgets:
    path = Path(build_dir) / layout.RECIPE_COPY
    return load_recipe(path).budgets if path.is_file() else Budgets()


def merge(budgets: Budgets, **overrides) -> Budgets:
    return dataclasses.replace(budgets, **{k: v for k, v in overrides.items() if v is not None})


def _num(value: float, unit: str, share: bool = False) -> str:
    if share:  # accuracy, recall, AUC: held as 0..1, shown in percent
        return f"{100 * value:.2f}%"
    if unit == "B":
        return f"{value:,.0f} B"
    if unit == "pp":
        return f"{value:.2f} pp"
    if abs(value) >= 100:  # instructions are averaged over inputs: a half is noise here
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _bound(name, metric, value, limit, unit, definition, at_most=True, share=False, what="", detail="") -> Check:
    """A check that `value` stays at most (or at least) `limit`; `what` names it in the limit's text."""
    passed = value <= limit if at_most else value >= limit
    text = f"{what + ' ' if what else ''}{'≤' if at_most else '≥'} {_num(limit, unit, share)}"
    if passed:
        message = f"{name} {_num(value, unit, share)}{detail}: within {text}"
    else:
        miss = f"{100 * abs(value - limit):.2f} pp" if share else _num(abs(value - limit), unit)
        message = f"{name} {_num(value, unit, share)}{detail} misses {text} by {miss}"
    return Check(name, value, limit, passed, unit, definition, metric, value, None, text, message)


def _increase(name, metric, label, now, baseline, allowed: Increase, unit, definition) -> Check:
    delta = now - baseline
    limit = allowed.allowed(baseline)
    passed = delta <= limit
    pct = f" ({100.0 * delta / baseline:+.2f}%)" if baseline else ""
    allowance = f"{allowed}" + (f" ({_num(limit, unit)})" if allowed.relative else (f" {unit}" if unit else ""))
    text = f"{label} increase ≤ {allowance}"
    verdict = "within" if passed else "more than"
    message = (
        f"{label} {'grew' if delta > 0 else 'changed'} by {_num(delta, unit)}{pct}, from {_num(baseline, unit)} "
        f"to {_num(now, unit)}: {verdict} the {allowance} allowed"
    )
    return Check(name, delta, limit, passed, unit, definition, metric, now, baseline, text, message)


def unchecked(budgets: Budgets, baseline: Snapshot | None) -> list[str]:
    """The options of budgets set against a baseline that are left unchecked because there is none."""
    return [] if baseline is not None else [OPTION[k] for k in BASELINE_BUDGETS if getattr(budgets, k) is not None]


def checks(now: Snapshot, budgets: Budgets, baseline: Snapshot | None = None, where: Path | None = None) -> list[Check]:
    """One Check per budget that applies. Raises EdgeNNError when none is set or a figure is absent; budgets
    against a baseline without one are left out (`unchecked`), so that a first build has nothing to fail."""
    where = where or now.path
    fig, defs = now.figures, now.definitions
    out: list[Check] = []

    def need(value, what, side: Snapshot = now):
        if value is None:
            raise BuildDirError(side.path, f"the report has no {what}: rerun 'edgenn eval'")
        return value

    for key, task in TASK_BUDGETS.items():
        if getattr(budgets, key) is not None and now.task != task:
            raise EdgeNNError(
                where, f"{OPTION[key]} applies to {task} models; this build's task is {now.task} ({now.metric})"
            )

    if budgets.max_flash_bytes is not None:
        flash = need(fig.get("flash_bytes"), "flash figure")
        out.append(
            _bound("flash_bytes", "flash_bytes", flash, budgets.max_flash_bytes, "B", defs.get("flash_bytes", ""))
        )
    if budgets.max_ram_bytes is not None:
        ram = need(fig.get("ram_bytes"), "RAM figure")
        out.append(_bound("ram_bytes", "ram_bytes", ram, budgets.max_ram_bytes, "B", defs.get("ram_bytes", "")))
    if budgets.max_instructions is not None:
        n = need(fig.get("instructions"), "instruction count (it needs the Cortex-M4 toolchain and QEMU)")
        out.append(
            _bound("instructions", "instructions", n, budgets.max_instructions, "", "instructions per inference")
        )
    score_def = f"{now.metric} of {INT8_VARIANT} on the evaluated split"
    for key, name, at_most, share in (
        ("min_int8_accuracy", "int8_accuracy", False, True),
        ("max_mae", "int8_mae", True, False),
        ("min_auc", "int8_auc", False, True),
    ):
        limit = getattr(budgets, key)
        if limit is not None:
            value = need(fig.get("score"), f"{INT8_VARIANT} {now.metric}")
            out.append(_bound(name, "score", value, limit, "", score_def, at_most, share))
    if budgets.min_class_recall is not None:
        recall = need(now.class_recall, f"per-class recall of {INT8_VARIANT}")
        worst, label = need(lowest_recall(recall, now.labels), "class present in the evaluated data")
        definition = f"the lowest recall of any class for {INT8_VARIANT}"
        check = _bound(
            "min_class_recall",
            "class_recall",
            worst,
            budgets.min_class_recall,
            "",
            definition,
            False,
            True,
            "every class",
            f" (class {label})",
        )
        out.append(check)
    if budgets.max_accuracy_drop_pp is not None:
        acc = need(fig.get("score"), f"{INT8_VARIANT} accuracy")
        fname, facc = need(now.float_score, "float accuracy")
        drop = round((facc - acc) * 100.0, 4)
        definition = f"{fname} minus {INT8_VARIANT}, percentage points"
        out.append(
            _bound(
                "accuracy_drop_pp",
                "score",
                drop,
                budgets.max_accuracy_drop_pp,
                "pp",
                definition,
                what="float→int8 drop",
            )
        )
    if baseline is not None:
        out += _baseline_checks(now, baseline, budgets, need)
    waiting = [k for k in BASELINE_BUDGETS if getattr(budgets, k) is not None]
    if not out and not (waiting and baseline is None):
        given = "budgets to check against the baseline" if baseline is not None else "budgets to check"
        raise NoBudgets(
            where,
            f"no {given}: set them in the recipe's [budgets] or pass options (see 'edgenn gate --help')",
        )
    return out


def _baseline_checks(now: Snapshot, base: Snapshot, budgets: Budgets, need) -> list[Check]:
    out = []
    for key, metric, label, unit in (
        ("max_flash_increase", "flash_bytes", "flash", "B"),
        ("max_ram_increase", "ram_bytes", "RAM", "B"),
        ("max_latency_increase", "instructions", "latency", ""),
    ):
        allowed = getattr(budgets, key)
        if allowed is None:
            continue
        what = "instruction count" if metric == "instructions" else f"{label} figure"
        value = need(now.figures.get(metric), what)
        old = need(base.figures.get(metric), what, base)
        name = key.removeprefix("max_")
        definition = "instructions per inference" if metric == "instructions" else now.definitions.get(metric, "")
        out.append(_increase(name, metric, label, value, old, allowed, unit, definition))
    if budgets.max_accuracy_drop_from_baseline_pp is not None:
        if not now.higher_is_better:
            raise EdgeNNError(
                now.path,
                f"--max-accuracy-drop needs a score where higher is better; this build's is {now.metric}",
            )
        value = need(now.figures.get("score"), f"{INT8_VARIANT} {now.metric}")
        old = need(base.figures.get("score"), f"{INT8_VARIANT} {base.metric}", base)
        drop = round((old - value) * 100.0, 4)
        limit = budgets.max_accuracy_drop_from_baseline_pp
        passed = drop <= limit
        text = f"drop from baseline ≤ {limit:.2f} pp"
        message = (
            f"int8 {now.metric} {'fell' if drop > 0 else 'changed'} by {drop:.2f} pp, from {100 * old:.2f}% to "
            f"{100 * value:.2f}%: {'within' if passed else 'over'} {text}"
        )
        out.append(
            Check(
                "accuracy_drop_from_baseline_pp",
                drop,
                limit,
                passed,
                "pp",
                f"the baseline's {INT8_VARIANT} {now.metric} minus this build's, percentage points",
                "score",
                value,
                old,
                text,
                message,
            )
        )
    return out
