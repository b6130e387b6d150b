"""`edgenn ops`: every op it lists has its reference module, its C kernel and header, and a kernel test."""

from __future__ import annotations

import json
from pathlib import Path

from edgenn.clib import INCLUDE, SRC
from edgenn.reference import OPS
from edgenn.schemas import check
from edgenn.targets import TARGETS
from tests.conftest import REPO, run_cli


def test_ops_json_lists_each_op_with_its_pieces_and_tests():
    proc = run_cli("ops", "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    check(r, "ops", "edgenn ops --json")
    assert (
        r["count"]
        == len(r["ops"])
        == len([m for m in OPS.values() if (REPO / "edgenn/reference" / f"{m}.py").is_file()])
    )
    tests = "".join(p.read_text() for p in (REPO / "tests" / "kernels").glob("test_*.py"))
    for row in r["ops"]:
        module = row["module"]
        assert OPS[row["op"]] == module
        assert (REPO / "edgenn" / "reference" / f"{module}.py").is_file()
        assert row["c"] == (SRC / f"{module}.c").is_file() and (INCLUDE / f"{module}.h").is_file(), row
        assert row["targets"] == (list(TARGETS) if row["c"] else [])
        assert (
            f'"{row["op"]}"' in tests
            or f"'{row['op']}'" in tests
            or Path(REPO / "tests" / "kernels" / f"test_{module}.py").is_file()
        ), f"no kernel test names {row['op']}"


def test_ops_table_prints_one_line_per_op():
    proc = run_cli("ops")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1].startswith(f"{len(lines) - 1} ops; targets: host")
    assert any(line.split()[0] == "CONV_2D" and "C on every target" in line for line in lines)
