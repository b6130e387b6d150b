"""Budgets → checks → exit code. Reads report.json; never imports TensorFlow.

Exit codes: 0 every check passed, 1 a budget failed, 2 bad input (handled by the CLI).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from edgenn import layout, schemas
from edgenn.errors import BuildDirError, EdgeNNError, shown
from edgenn.recipe import Budgets, load_recipe

INT8_VARIANT = "tflite_int8_tflm"  # the microcontroller reference decides int8 accuracy
FLOAT_VARIANTS = ("keras_float", "tflite_float")  # first present is the float baseline


class NoBudgets(EdgeNNError):
    """Neither the recipe nor the options set a budget: there is nothing to check."""


@dataclass(frozen=True)
class Check:
    name: str
    value: float
    limit: float
    passed: bool
    unit: str
    definition: str

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "value": self.value,
            "limit": self.limit,
            "passed": self.passed,
            "unit": self.unit,
            "definition": self.definition,
        }


def recipe_budgets(build_dir: Path) -> Budgets:
    path = Path(build_dir) / layout.RECIPE_COPY
    return load_recipe(path).budgets if path.is_file() else Budgets()


def merge(budgets: Budgets, **overrides) -> Budgets:
    return dataclasses.replace(budgets, **{k: v for k, v in overrides.items() if v is not None})


def load_report(build_dir: Path) -> dict:
    path = layout.BuildDir(build_dir).require(layout.REPORT_JSON)
    report = layout.read_json_object(path)
    if report.get("schema") != 1:
        raise BuildDirError(path, f"not an edgenn report of schema 1 (schema: {shown(repr(report.get('schema')), 40)})")
    schemas.check(report, schemas.REPORT, path)
    return report


def _accuracy(report: dict, names: tuple[str, ...]) -> tuple[str, float] | None:
    by_name = {v.get("name"): v for v in report["variants"] if isinstance(v, dict)}
    for name in names:
        if name in by_name and isinstance(by_name[name].get("accuracy"), (int, float)):
            return name, float(by_name[name]["accuracy"])
    return None


def checks(report: dict, budgets: Budgets, where: Path | None = None) -> list[Check]:
    """One Check per budget that is set. Raises EdgeNNError when none is set or a figure is absent."""
    foot = report.get("footprint") or {}
    defs = foot.get("definitions") or {}
    out: list[Check] = []

    def need(value, what):
        if value is None:
            raise BuildDirError(where, f"the report has no {what}: rerun 'edgenn eval'")
        return value

    if budgets.max_flash_bytes is not None:
        flash = need(foot.get("flash_bytes"), "flash figure")
        out.append(
            Check(
                "flash_bytes",
                flash,
                budgets.max_flash_bytes,
                flash <= budgets.max_flash_bytes,
                "B",
                defs.get("flash_bytes", ""),
            )
        )
    if budgets.max_ram_bytes is not None:
        ram = need(foot.get("ram_bytes"), "RAM figure")
        out.append(
            Check("ram_bytes", ram, budgets.max_ram_bytes, ram <= budgets.max_ram_bytes, "B", defs.get("ram_bytes", ""))
        )
    task = report.get("task", "classification")
    if task != "classification" and (budgets.min_int8_accuracy is not None or budgets.max_accuracy_drop_pp is not None):
        metric = (report.get("metric") or {}).get("name", "?")
        raise EdgeNNError(where, f"accuracy budgets apply to classifiers; this build's task is {task} ({metric})")
    int8 = _accuracy(report, (INT8_VARIANT,))
    if budgets.min_int8_accuracy is not None:
        name, acc = need(int8, f"{INT8_VARIANT} accuracy")
        out.append(
            Check(
                "int8_accuracy",
                acc,
                budgets.min_int8_accuracy,
                acc >= budgets.min_int8_accuracy,
                "",
                f"accuracy of {name} on the evaluated split",
            )
        )
    if budgets.max_accuracy_drop_pp is not None:
        name, acc = need(int8, f"{INT8_VARIANT} accuracy")
        fname, facc = need(_accuracy(report, FLOAT_VARIANTS), "float accuracy")
        drop = round((facc - acc) * 100.0, 4)
        out.append(
            Check(
                "accuracy_drop_pp",
                drop,
                budgets.max_accuracy_drop_pp,
                drop <= budgets.max_accuracy_drop_pp,
                "pp",
                f"{fname} minus {name}, percentage points",
            )
        )
    if not out:
        raise NoBudgets(
            where,
            "no budgets to check: set them in the recipe's [budgets] or pass --max-flash, "
            "--max-ram, --min-accuracy or --max-drop",
        )
    return out


def gate(build_dir: Path, **overrides) -> list[Check]:
    build_dir = Path(build_dir)
    report = load_report(build_dir)
    return checks(report, merge(recipe_budgets(build_dir), **overrides), build_dir)
