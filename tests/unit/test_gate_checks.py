import json
from pathlib import Path

import pytest

from edgenn.errors import EdgeNNError
from edgenn.gate import checks, load_report, merge, unchecked
from edgenn.gate.snapshot import Snapshot
from edgenn.recipe import Budgets, Increase


def snap(flash=15000, ram=5000, int8=0.97, keras=0.98, instructions=None, task="classification", recall=None):
    metric = {"classification": "accuracy", "regression": "mae", "anomaly": "auc"}[task]
    return Snapshot(
        model="m",
        path=Path("build/m"),
        task=task,
        metric=metric,
        higher_is_better=task != "regression",
        figures={"flash_bytes": flash, "ram_bytes": ram, "score": int8, "instructions": instructions},
        float_score=("keras_float", keras) if keras is not None else None,
        labels=["a", "b", "c"],
        class_recall=recall,
    )


def by_name(rows):
    return {c.name: c for c in rows}


def test_all_pass():
    rows = checks(snap(), Budgets(20000, 8000, 0.95, 1.5))
    assert [c.name for c in rows] == ["flash_bytes", "ram_bytes", "int8_accuracy", "accuracy_drop_pp"]
    assert all(c.passed for c in rows)
    assert by_name(rows)["accuracy_drop_pp"].value == pytest.approx(1.0)


@pytest.mark.parametrize(
    "budgets, failing",
    [
        (Budgets(max_flash_bytes=14999), "flash_bytes"),
        (Budgets(max_ram_bytes=4999), "ram_bytes"),
        (Budgets(min_int8_accuracy=0.975), "int8_accuracy"),
        (Budgets(max_accuracy_drop_pp=0.5), "accuracy_drop_pp"),
        (Budgets(max_instructions=99_999), "instructions"),
        (Budgets(min_class_recall=0.81), "min_class_recall"),
    ],
)
def test_each_budget_can_fail(budgets, failing):
    rows = checks(snap(instructions=100_000, recall=[0.9, None, 0.8]), budgets)
    assert [c.name for c in rows if not c.passed] == [failing]
    (failed,) = [c for c in rows if not c.passed]
    assert "misses" in failed.message


def test_limits_are_inclusive():
    rows = checks(snap(instructions=100, recall=[0.8, 1.0, None]), Budgets(15000, 5000, 0.97, 1.0, 100, 0.8))
    assert all(c.passed for c in rows) and len(rows) == 6


def test_class_recall_names_the_worst_class_and_skips_absent_ones():
    (row,) = checks(snap(recall=[0.9, None, 0.6]), Budgets(min_class_recall=0.7))
    assert not row.passed and row.value == 0.6 and "class c" in row.message


@pytest.mark.parametrize(
    "task, budgets, value, passed",
    [
        ("regression", Budgets(max_mae=0.05), 0.04, True),
        ("regression", Budgets(max_mae=0.05), 0.06, False),
        ("anomaly", Budgets(min_auc=0.9), 0.95, True),
        ("anomaly", Budgets(min_auc=0.9), 0.85, False),
    ],
)
def test_every_task_is_gated_on_its_metric(task, budgets, value, passed):
    (row,) = checks(snap(int8=value, task=task), budgets)
    assert row.passed is passed and row.value == value


@pytest.mark.parametrize(
    "task, budgets",
    [
        ("regression", Budgets(min_int8_accuracy=0.9)),
        ("classification", Budgets(max_mae=0.1)),
        ("classification", Budgets(min_auc=0.9)),
        ("anomaly", Budgets(min_class_recall=0.5)),
    ],
)
def test_a_budget_for_another_task_is_an_error(task, budgets):
    with pytest.raises(EdgeNNError, match="applies to"):
        checks(snap(task=task), budgets)


def test_increases_against_a_baseline():
    base = snap(flash=10_000, ram=4_000, int8=0.97, instructions=50_000)
    now = snap(flash=10_150, ram=4_100, int8=0.965, instructions=52_000)
    budgets = Budgets(
        max_flash_increase=Increase.parse("2%"),  # 200 B allowed, 150 B grown
        max_ram_increase=Increase.parse("64"),  # 64 B allowed, 100 B grown
        max_latency_increase=Increase.parse("5%"),  # 2,500 allowed, 2,000 grown
        max_accuracy_drop_from_baseline_pp=0.4,  # 0.5 pp dropped
    )
    rows = by_name(checks(now, budgets, base))
    assert rows["flash_increase"].passed and rows["flash_increase"].limit == pytest.approx(200)
    assert rows["flash_increase"].value == 150 and rows["flash_increase"].baseline == 10_000
    assert not rows["ram_increase"].passed and "from 4,000 B to 4,100 B" in rows["ram_increase"].message
    assert rows["latency_increase"].passed
    drop = rows["accuracy_drop_from_baseline_pp"]
    assert not drop.passed and drop.value == pytest.approx(0.5)


def test_baseline_budgets_are_skipped_without_a_baseline():
    budgets = Budgets(max_flash_bytes=20_000, max_flash_increase=Increase.parse("1%"))
    assert [c.name for c in checks(snap(), budgets)] == ["flash_bytes"]
    only_increase = Budgets(max_flash_increase=Increase.parse("1%"))
    assert checks(snap(), only_increase) == []  # a first build: nothing to compare with, nothing failed
    assert unchecked(only_increase, None) == ["--max-flash-increase"]
    assert unchecked(only_increase, snap()) == []


def test_a_shrinking_build_passes_an_increase_budget():
    (row,) = checks(snap(flash=9_000), Budgets(max_flash_increase=Increase.parse("0")), snap(flash=10_000))
    assert row.passed and row.value == -1_000


@pytest.mark.parametrize("text, amount, relative", [("2%", 2.0, True), (" 2.5 % ", 2.5, True), ("512", 512.0, False)])
def test_increase_parses_shares_and_amounts(text, amount, relative):
    assert Increase.parse(text) == Increase(amount, relative)


@pytest.mark.parametrize("text", ["", "x", "-1", "-2%", "nan", "inf%", True])
def test_increase_refuses_nonsense(text):
    with pytest.raises(ValueError, match="percentage"):
        Increase.parse(text)


def test_overrides_replace_recipe_budgets():
    merged = merge(Budgets(100, 200, 0.9, 1.0), max_flash_bytes=999, max_ram_bytes=None)
    assert merged == Budgets(999, 200, 0.9, 1.0)


def test_no_budgets_is_an_error_not_a_pass():
    with pytest.raises(EdgeNNError, match="no budgets"):
        checks(snap(), Budgets())


def test_missing_figure_is_an_error():
    with pytest.raises(EdgeNNError, match="RAM figure"):
        checks(snap(ram=None), Budgets(max_ram_bytes=10))
    with pytest.raises(EdgeNNError, match="instruction count"):
        checks(snap(), Budgets(max_instructions=10))


def test_load_report_rejects_foreign_json(tmp_path):
    (tmp_path / "report.json").write_text(json.dumps({"schema": 2}))
    with pytest.raises(EdgeNNError, match="not an edgenn report"):
        load_report(tmp_path / "report.json")
    (tmp_path / "report.json").write_text("{")
    with pytest.raises(EdgeNNError, match="not valid JSON"):
        load_report(tmp_path / "report.json")
    (tmp_path / "report.json").write_text('{"schema": 1, "model": NaN}')
    with pytest.raises(EdgeNNError, match="NaN"):
        load_report(tmp_path / "report.json")
