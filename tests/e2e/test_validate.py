"""`edgenn validate` on the digits build: per-layer figures that agree with the models' final outputs,
respond to a damaged layer, and files that are whole; and what it says when it cannot run."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys

import flatbuffers
import numpy as np
import pytest

from edgenn import layout
from edgenn.data.splits import load_build_data
from edgenn.errors import BuildDirError, DataError
from edgenn.evaluate import metrics
from edgenn.evaluate import validate as v
from edgenn.evaluate.runners import LiteRTRunner, TFLMRunner
from edgenn.graph.quant import dequantize, quantize
from edgenn.graph.tflite import read_tflite, schema
from edgenn.reference import interpreter
from tests.conftest import REPO, run_cli
from tests.e2e.test_no_tensorflow import BLOCKER

SAMPLES = 120


@pytest.fixture(scope="module")
def validated(digits_build, tmp_path_factory):
    """validate.json's content and the folder it was written into (a copy of the session's digits build)."""
    build = tmp_path_factory.mktemp("validate") / "digits_cnn"
    shutil.copytree(digits_build, build)
    r = v.validate(build, samples=SAMPLES)
    v.write(r, build)
    return r, build


def x_test(build, n=SAMPLES):
    return load_build_data(build).x_test[:n]


def test_every_layer_is_matched_and_measured(validated):
    r, build = validated
    int8 = read_tflite(build / layout.TFLITE_INT8)
    float_ = read_tflite(build / layout.TFLITE_FLOAT)
    assert [row["index"] for row in r["layers"]] == [op.index for op in v.layers(int8)]
    assert r["unmatched"] == {"int8": [], "float": []} and r["notes"] == []
    assert r["data"] == {"split": "test", "samples": SAMPLES}
    assert r["int8_model"]["engine"] == v.INT8_ENGINES["reference"]
    for row in r["layers"]:
        op, op_float = int8.ops[row["index"]], float_.ops[row["float_index"]]
        t = int8.tensors[op.outputs[0]]
        assert row["op"] == op.name == op_float.name
        assert row["name"] == t.name and row["shape"] == list(t.shape)
        assert (row["scale"], row["zero_point"]) == (t.scale[0], t.zero_point[0])
        assert -1.0 <= row["cos"] <= 1.0
        assert 0.0 <= row["l2r"] < 0.1, row  # int8 keeps every digits layer within 10%
        assert row["rmse"] >= 0.0 and row["mae"] >= 0.0
    assert r["layers"][0]["l2r_increase"] == pytest.approx(r["layers"][0]["l2r"] - r["input"]["l2r"])
    assert r["worst_layer"] == max(r["layers"], key=lambda row: row["l2r"])["index"]
    # the quantized input is a layer's worth of error already, but a small one: 8-bit grey levels
    assert 0.0 < r["input"]["l2r"] < 0.01


def test_last_layer_agrees_with_the_models_final_outputs(validated):
    r, build = validated
    x = x_test(build)
    tflm = TFLMRunner(build / layout.TFLITE_INT8)
    int8_out = dequantize(tflm.predict(x), tflm.output_quant)
    float_out = LiteRTRunner(build / layout.TFLITE_FLOAT).predict(x)
    want = metrics.closeness(int8_out, float_out)
    last = r["layers"][-1]
    assert last["index"] == len(read_tflite(build / layout.TFLITE_INT8).ops) - 1
    # Both sides are the same numbers up to float32 summation order in LiteRT's kernels.
    for key in ("cos", "l2r", "rmse", "mae", "nse"):
        assert last[key] == pytest.approx(want[key], rel=1e-4, abs=1e-9), key


def test_reference_interpreter_keeps_every_tensor_and_stays_bit_exact(digits_build):
    graph = read_tflite(digits_build / layout.TFLITE_INT8)
    tflm = TFLMRunner(digits_build / layout.TFLITE_INT8)
    x = x_test(digits_build, 20)
    prepared = interpreter.prepare(graph)
    xq = quantize(x, tflm.input_quant)
    for sample, want in zip(xq, tflm.predict(x), strict=True):
        values = interpreter.run_all(graph, sample[np.newaxis], prepared)
        assert {op.outputs[0] for op in graph.ops} <= set(values)
        np.testing.assert_array_equal(values[graph.outputs[0]].reshape(-1), want)
        np.testing.assert_array_equal(interpreter.run(graph, sample[np.newaxis], prepared).reshape(-1), want)


def test_files_are_whole_and_round_trip(validated):
    r, build = validated
    assert (build / layout.VALIDATE_PLOT).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (build / layout.VALIDATE_PLOT).stat().st_size > 10_000
    text = (build / layout.VALIDATE_JSON).read_text()
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in validate.json")) == r
    assert r["schema"] == v.VALIDATE_SCHEMA == 1 and r["model"] == "digits_cnn"
    assert not [p for p in build.iterdir() if ".tmp" in p.name], "temporary files left behind"
    assert layout.MADE_BY[layout.VALIDATE_JSON] == layout.MADE_BY[layout.VALIDATE_PLOT] == "edgenn validate"


def test_printed_table(validated, capsys):
    r, _ = validated
    v.print_validation(r)
    printed = capsys.readouterr().out
    assert "FULLY_CONNECTED" in printed and "largest error: layer" in printed


def perturb_weights(model, op_index: int, seed: int = 0) -> None:
    """Add noise of up to ±40 codes to the int8 weights of one op, in place."""
    data = model.read_bytes()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    sub = m.subgraphs[0]
    weights = sub.tensors[sub.operators[op_index].inputs[1]]
    buf = m.buffers[weights.buffer]
    codes = np.asarray(buf.data, dtype=np.uint8).view(np.int8).astype(np.int16)
    noise = np.random.default_rng(seed).integers(-40, 41, codes.shape)
    buf.data = np.clip(codes + noise, -127, 127).astype(np.int8).view(np.uint8)
    b = flatbuffers.Builder(len(data) + 1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    model.write_bytes(bytes(b.Output()))


def test_a_damaged_layer_shows_where_the_error_comes_from(validated, build_copy):
    clean, _ = validated
    graph = read_tflite(build_copy / layout.TFLITE_INT8)
    damaged = [op.index for op in graph.ops if op.name == "CONV_2D"][1]
    perturb_weights(build_copy / layout.TFLITE_INT8, damaged)
    r = v.validate(build_copy, samples=SAMPLES)
    before = {row["index"]: row for row in clean["layers"]}
    after = {row["index"]: row for row in r["layers"]}
    for index, row in after.items():
        if index < damaged:  # layers before the damage compute exactly what they did
            assert row == before[index]
    assert after[damaged]["l2r"] > 5 * before[damaged]["l2r"]
    assert after[damaged]["cos"] < before[damaged]["cos"]
    assert r["largest_increase_layer"] == damaged
    assert after[damaged]["l2r_increase"] > 5 * max(before[damaged]["l2r_increase"], 1e-6)


def test_layers_only_one_model_has_are_left_unmatched(digits_build):
    int8 = read_tflite(digits_build / layout.TFLITE_INT8)
    float_ = read_tflite(digits_build / layout.TFLITE_FLOAT)
    pool = next(op for op in float_.ops if op.name == "MAX_POOL_2D")
    fewer = dataclasses.replace(float_, ops=tuple(op for op in float_.ops if op is not pool))
    m = v.match_layers(int8, fewer)
    assert [op.name for op in m.int8_unmatched] == ["MAX_POOL_2D"] and m.float_unmatched == ()
    # the layers after the gap still pair with their own counterparts
    assert [(a.name, b.index) for a, b in m.pairs][-3:] == [("RESHAPE", 3), ("FULLY_CONNECTED", 4), ("SOFTMAX", 5)]


def test_validate_with_an_unmatched_layer_notes_it(build_copy, monkeypatch):
    real = v.match_layers

    def without_pool(int8, float_):
        m = real(int8, float_)
        keep = tuple(p for p in m.pairs if p[0].name != "MAX_POOL_2D")
        gone = tuple(p for p in m.pairs if p[0].name == "MAX_POOL_2D")
        return v.Matching(keep, tuple(a for a, _ in gone), tuple(b for _, b in gone))

    monkeypatch.setattr(v, "match_layers", without_pool)
    r = v.validate(build_copy, samples=10)
    assert "MAX_POOL_2D" not in [row["op"] for row in r["layers"]]
    assert [u["op"] for u in r["unmatched"]["int8"]] == ["MAX_POOL_2D"]
    assert any("MAX_POOL_2D" in note and "int8" in note for note in r["notes"])
    reshape = next(row for row in r["layers"] if row["op"] == "RESHAPE")
    assert reshape["l2r_increase"] is None  # its input was not measured
    v.write(r, build_copy)  # the plot and the table take a gap in stride
    v.print_validation(r)


def test_samples_and_data(build_copy, tmp_path):
    data = load_build_data(build_copy)
    np.savez(tmp_path / "few.npz", x=data.x_test[:7], y=data.y_test[:7])
    r = v.validate(build_copy, data=tmp_path / "few.npz")
    assert r["data"] == {"split": str(tmp_path / "few.npz"), "samples": 7}
    assert v.validate(build_copy, samples=3)["data"]["samples"] == 3
    with pytest.raises(DataError, match="at least 1"):
        v.validate(build_copy, samples=0)


@pytest.mark.parametrize("name", [layout.TFLITE_INT8, layout.TFLITE_FLOAT])
def test_a_missing_model_names_the_command_that_makes_it(build_copy, name):
    (build_copy / name).unlink()
    with pytest.raises(BuildDirError, match="missing: run 'edgenn convert' first") as err:
        v.validate(build_copy)
    assert name in err.value.line() and "\n" not in err.value.line()


def test_an_imported_int8_model_has_no_float_model_to_compare(tflm_examples, tmp_path):
    build = tmp_path / "hw"
    proc = run_cli("convert", str(tflm_examples / "hello_world_int8.tflite"), "-o", str(build), "--task", "regression")
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(BuildDirError, match="validate compares against the float model") as err:
        v.validate(build)
    assert layout.TFLITE_FLOAT in err.value.line() and "\n" not in err.value.line()


def test_runs_without_tensorflow(build_copy):
    code = BLOCKER.replace(
        "from edgenn.cli import main\nmain(sys.argv[1:])",
        "from pathlib import Path\nfrom edgenn.evaluate import validate as v\n"
        "v.write(v.validate(Path(sys.argv[1]), samples=20), Path(sys.argv[1]))",
    )
    assert "main(" not in code
    proc = subprocess.run(
        [sys.executable, "-c", code, str(build_copy)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"EDGENN_QUIET": "1", "PATH": "/usr/bin:/bin"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((build_copy / layout.VALIDATE_JSON).read_text())["data"]["samples"] == 20


def test_litert_reference_kernels_stand_in_for_a_model_the_interpreter_cannot_run(validated, monkeypatch):
    clean, build = validated
    monkeypatch.setattr(v, "_int8_engine", lambda graph: ("litert_ref", None, "int8 activations from LiteRT"))
    r = v.validate(build, samples=SAMPLES)
    assert r["int8_model"]["engine"] == v.INT8_ENGINES["litert_ref"] and r["notes"] == ["int8 activations from LiteRT"]
    # LiteRT's reference kernels and TFLM agree byte for byte on the digits test split
    assert r["layers"] == clean["layers"] and r["input"] == clean["input"]
