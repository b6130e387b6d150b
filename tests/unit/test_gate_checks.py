import json

import pytest

from edgenn.errors import EdgeNNError
from edgenn.gate import checks, load_report, merge
from edgenn.recipe import Budgets


def report(flash=15000, ram=5000, int8=0.97, keras=0.98):
    return {
        "schema": 1,
        "variants": [
            {"name": "keras_float", "accuracy": keras},
            {"name": "tflite_int8_tflm", "accuracy": int8},
        ],
        "footprint": {"flash_bytes": flash, "ram_bytes": ram, "definitions": {}},
    }


def by_name(rows):
    return {c.name: c for c in rows}


def test_all_pass():
    rows = checks(report(), Budgets(20000, 8000, 0.95, 1.5))
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
    ],
)
def test_each_budget_can_fail(budgets, failing):
    rows = checks(report(), budgets)
    assert [c.name for c in rows if not c.passed] == [failing]


def test_limits_are_inclusive():
    assert all(c.passed for c in checks(report(), Budgets(15000, 5000, 0.97, 1.0)))


def test_overrides_replace_recipe_budgets():
    merged = merge(Budgets(100, 200, 0.9, 1.0), max_flash_bytes=999, max_ram_bytes=None)
    assert merged == Budgets(999, 200, 0.9, 1.0)


def test_no_budgets_is_an_error_not_a_pass():
    with pytest.raises(EdgeNNError, match="no budgets"):
        checks(report(), Budgets())


def test_missing_figure_is_an_error():
    with pytest.raises(EdgeNNError, match="RAM figure"):
        checks(report(ram=None), Budgets(max_ram_bytes=10))


def test_load_report_rejects_foreign_json(tmp_path):
    (tmp_path / "report.json").write_text(json.dumps({"schema": 2}))
    with pytest.raises(EdgeNNError, match="not an edgenn report"):
        load_report(tmp_path)
    (tmp_path / "report.json").write_text("{")
    with pytest.raises(EdgeNNError, match="not valid JSON"):
        load_report(tmp_path)
