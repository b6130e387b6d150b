"""The gate's result as CI systems read it: layers lined up, Markdown that a hostile name cannot break,
JUnit that a JUnit library parses, the JSON schema, and GitHub's job summary."""

from pathlib import Path

import junitparser
import pytest

from edgenn import schemas
from edgenn.gate import checks
from edgenn.gate.compare import change, layers
from edgenn.gate.outputs import junit, markdown, md_text, result, write
from edgenn.gate.snapshot import Snapshot
from edgenn.recipe import Budgets, Increase


def layer(index, op, const_bytes, name="", macs=100, live=64):
    return {"index": index, "op": op, "name": name, "const_bytes": const_bytes, "macs": macs, "live_bytes": live}


def snap(layer_list, flash=10_000, acc=0.95, path="build/m"):
    return Snapshot(
        model="m",
        path=Path(path),
        figures={"flash_bytes": flash, "ram_bytes": 2_000, "score": acc},
        float_score=("keras_float", 0.96),
        layers=layer_list,
    )


BASE = [layer(0, "CONV_2D", 300, "m/conv2d/convolution"), layer(1, "CONV_2D", 5_000), layer(2, "FULLY_CONNECTED", 900)]


def test_change_and_percent():
    assert change(200, 250) == {"baseline": 200, "now": 250, "change": 50, "change_pct": 25.0}
    assert change(0, 5)["change_pct"] is None and change(None, 5)["change"] is None


def test_a_widened_layer_is_the_one_row_that_changed():
    wide = [BASE[0], layer(1, "CONV_2D", 7_500, macs=150), BASE[2]]
    rows = layers(snap(wide), snap(BASE))
    assert [r["layer"] for r in rows] == ["op 1 CONV_2D"]
    assert rows[0]["status"] == "changed"
    assert rows[0]["figures"]["const_bytes"] == {"baseline": 5_000, "now": 7_500, "change": 2_500, "change_pct": 50.0}


def test_an_inserted_layer_is_added_and_the_rest_still_line_up():
    grown = [BASE[0], layer(1, "DEPTHWISE_CONV_2D", 80), layer(2, "CONV_2D", 5_000), layer(3, "FULLY_CONNECTED", 900)]
    rows = layers(snap(grown), snap(BASE), changed_only=False)
    assert [(r["layer"], r["status"]) for r in rows] == [
        ("op 0 CONV_2D (conv2d/convolution)", "same"),
        ("op 1 DEPTHWISE_CONV_2D", "added"),
        ("op 2 CONV_2D", "same"),
        ("op 3 FULLY_CONNECTED", "same"),
    ]
    removed = layers(snap(BASE[:2]), snap(BASE))
    assert [(r["layer"], r["status"]) for r in removed] == [("op 2 FULLY_CONNECTED", "removed")]


def gate_result(now, base, budgets):
    return result(now, base, checks(now, budgets, base), "edgenn gate test")


def test_the_markdown_names_the_layer_and_its_bytes_and_the_failed_check():
    wide = [BASE[0], layer(1, "CONV_2D", 7_500), BASE[2]]
    r = gate_result(snap(wide, flash=12_500), snap(BASE), Budgets(max_flash_increase=Increase.parse("2%")))
    assert r["passed"] is False
    md = markdown(r)
    assert "❌" in md and "FAILED (1 of 1 checks)" in md
    assert "| flash | 10,000 B | 12,500 B | ▲ +2,500 B (+25.00%) | flash increase ≤ +2% (200 B) | FAIL |" in md
    assert "| op 1 CONV\\_2D | flash (constants) | 5,000 B | 7,500 B | ▲ +2,500 B (+50.00%) |" in md
    schemas.check(r, "gate", "result")


def test_a_hostile_layer_name_stays_inside_its_cell():
    evil = "x|y\n<img src=x onerror=alert(1)>`[link](http://e)`*b*"
    assert "|" not in md_text(evil).replace("\\|", "") and "\n" not in md_text(evil)
    assert "<" not in md_text(evil).replace("\\<", "")
    wide = [layer(0, "CONV_2D", 400, evil), *BASE[1:]]
    md = markdown(gate_result(snap(wide), snap(BASE), Budgets(max_flash_bytes=20_000)))
    table = [line for line in md.splitlines() if line.startswith("| op 0")]
    assert len(table) == 1
    unescaped_pipes = table[0].replace("\\|", "").count("|")
    assert unescaped_pipes == 6  # five columns


def test_junit_has_one_case_per_check_and_failures_carry_the_numbers(tmp_path):
    budgets = Budgets(max_flash_bytes=11_000, max_ram_bytes=1_000, min_int8_accuracy=0.9)
    r = gate_result(snap(BASE), snap(BASE), budgets)
    path = tmp_path / "gate.xml"
    path.write_text(junit(r))
    xml = junitparser.JUnitXml.fromfile(str(path))
    cases = [case for suite in xml for case in suite]
    assert [c.name for c in cases] == ["flash_bytes", "ram_bytes", "int8_accuracy"]
    failed = {c.name: c.result[0] for c in cases if not c.is_passed}
    assert list(failed) == ["ram_bytes"]
    assert "2,000 B" in failed["ram_bytes"].message and "1,000 B" in failed["ram_bytes"].message


@pytest.mark.parametrize("passed", [True, False])
def test_files_are_written_and_the_summary_is_appended(tmp_path, monkeypatch, passed):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r = gate_result(snap(BASE), None, Budgets(max_flash_bytes=20_000 if passed else 10))
    files = write(r, tmp_path / "g.json", tmp_path / "g.md", tmp_path / "g.xml")
    assert [p.name for p in files] == ["g.json", "g.md", "g.xml"]
    text = summary.read_text()
    assert text.startswith("earlier step\n") and ("✅" if passed else "❌") in text
    assert (tmp_path / "g.md").read_text() in text


def test_an_error_metric_is_shown_as_a_number_and_a_share_in_percent():
    def regression(mae):
        s = snap(BASE, acc=mae)
        s.task, s.metric, s.higher_is_better = "regression", "mae", False
        return s

    md = markdown(gate_result(regression(0.031), regression(0.025), Budgets(max_mae=0.03)))
    assert "| int8 mae | 0.025 | 0.031 | ▲ +0.006 (+24.00%) | ≤ 0.03 | FAIL |" in md
    md = markdown(gate_result(snap(BASE, acc=0.9), snap(BASE, acc=0.95), Budgets(min_int8_accuracy=0.92)))
    assert "| int8 accuracy | 95.00% | 90.00% | ▼ -5.00 pp | ≥ 92.00% | FAIL |" in md
