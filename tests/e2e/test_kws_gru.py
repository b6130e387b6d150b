"""A recurrent network on real speech, end to end: `edgenn run models/kws_gru.toml --data <FSDD>`.

FSDD's MFCC frames (CMSIS-DSP) as a sequence, a strided Conv1D and a GRU unrolled into per-step ops,
trained, converted to int8, generated as C and scored by the compiled C on the test split: the C's
outputs must equal TFLM's byte for byte, so its accuracy is TFLM's.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import FSDD, REPO, require, run_cli, shared_run

RECIPE = REPO / "models" / "kws_gru.toml"


@pytest.fixture(scope="module")
def gru_build(tmp_path_factory):
    require((FSDD / "recordings").is_dir(), f"{FSDD}")
    return shared_run(tmp_path_factory, "kws_gru", str(RECIPE), "--data", str(FSDD))


def test_gru_on_fsdd_is_scored_by_the_c_bit_exact_with_tflm(gru_build):
    report = json.loads((gru_build / "report.json").read_text())
    assert report["data"]["samples"] == 300
    tflm = next(v for v in report["variants"] if v["name"] == "tflite_int8_tflm")
    c = next(v for v in report["variants"] if v["name"] == "c_int8")
    assert tflm["accuracy"] >= 0.9, tflm
    assert c["accuracy"] == tflm["accuracy"]
    assert report["agreement"]["int8"]["c_int8"]["mismatched_bytes"] == 0


def test_the_c_runs_the_unrolled_steps(gru_build):
    """The GRU is per-step ops in the C (no WHILE loop), its weights stored once for all steps."""
    from edgenn.graph.tflite import parse_tflite

    graph = parse_tflite((gru_build / "model_int8.tflite").read_bytes())
    assert {"UNPACK", "SPLIT", "FULLY_CONNECTED", "LOGISTIC", "TANH"} <= set(graph.op_names)
    assert "WHILE" not in graph.op_names
    proc = run_cli("analyze", str(gru_build), "--json")
    assert proc.returncode == 0, proc.stderr
    flash = json.loads(proc.stdout)["flash"]
    params = json.loads((gru_build / "history.json").read_text())["params"]
    # The converter gives every step its own copy of the weights (the .tflite holds them ~25 times);
    # the C declares each distinct constant once, so the int8 weights take at most a byte per parameter.
    assert flash["weights"] <= params, (flash, params)
