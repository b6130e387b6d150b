"""A seeded slice of the fuzz benchmark (benchmarks/fuzz.py): 2,000 hostile inputs through every command.

Every case must end in one clean error line (exit 2) or be accepted; none may print a traceback,
crash, hang, print more than one error line, or leave a partial output. The C of the accepted models
compiles with -Wall -Wextra -Werror -pedantic.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from tests.conftest import REPO, require_tool

CASES = 2000


def load_fuzz():
    spec = importlib.util.spec_from_file_location("edgenn_fuzz_benchmark", REPO / "benchmarks" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def test_seeded_slice(tflm_examples, tmp_path):
    require_tool("gcc")
    fuzz = load_fuzz()
    result = fuzz.fuzz(
        CASES, seed=20261203, jobs=os.cpu_count() or 1, timeout=120, keep=tmp_path, compile_max=20, log=print
    )
    print(fuzz.table(result))
    bad = result["bad"]
    details = "\n".join(
        f"case {b['case']} {b['outcome']} {b['mutation']} {b['argv']}\n{b['stderr'][-800:]}" for b in bad[:10]
    )
    assert sum(result["total"].values()) == CASES
    assert not bad, f"{len(bad)} bad outcomes:\n{fuzz.table(result)}\n{details}"
    assert result["total"]["clean"] > CASES // 2 and result["total"]["accepted"] > CASES // 20  # both paths exercised
    assert result["compiled"] >= 5 and not result["compile_failures"], result["compile_failures"]
