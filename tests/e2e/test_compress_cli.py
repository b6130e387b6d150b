"""`edgenn compress` and `--compress` from the command line, on the digits build: the compressed model
is a dense int8 .tflite whose weights an encoding holds; codegen packs them, analyze says how many
bytes each layer's weights take before and after, and the folder's flash shrinks by what they save."""

from __future__ import annotations

import json

import numpy as np

from edgenn.graph.tflite import read_tflite
from edgenn.schemas import produced
from tests.conftest import run_cli


def _compress(build, tmp_path, scheme: str, *extra: str):
    out = tmp_path / f"model_{scheme}.tflite"
    proc = run_cli("compress", str(build), "--to", scheme, "-o", str(out), *extra)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return out, proc


def test_compress_writes_a_model_the_encoding_holds(digits_build, tmp_path):
    out, proc = _compress(digits_build, tmp_path, "lut2")
    dense, packed = read_tflite(digits_build / "model_int8.tflite"), read_tflite(out)
    for op in packed.ops:
        if op.name in ("CONV_2D", "FULLY_CONNECTED"):
            w = packed.tensors[op.inputs[1]].data
            rows = w.reshape(w.shape[0], -1)
            assert max(len(np.unique(r)) for r in rows) <= 4
            assert f"op {op.index} ({op.name}): lut2" in proc.stdout
    assert [op.name for op in packed.ops] == [op.name for op in dense.ops]


def test_codegen_and_analyze_pack_what_compress_made(digits_build, tmp_path):
    out, _ = _compress(digits_build, tmp_path, "int4")
    proc = run_cli("codegen", str(out), "-o", str(tmp_path / "c"), "--compress", "int4")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "c" / "edgenn.json").read_text())
    assert manifest["compress"] == "int4"
    packed = {p["op"]: p for p in manifest["packed"]}
    assert packed
    assert all(p["encoding"] == "int4" and p["bytes"] <= p["dense_bytes"] // 2 + 64 for p in packed.values())

    proc = run_cli("analyze", str(out), "--compress", "int4", "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    produced(r, "analyze")  # raises where the schema refuses it
    dense = json.loads(run_cli("analyze", str(out), "--compress", "none", "--json").stdout)
    saved = 0
    for layer, before in zip(r["layers"], dense["layers"], strict=True):
        if layer["index"] in packed:
            assert layer["weights"]["encoding"] == "int4"
            assert layer["weights"]["dense_bytes"] == before["weights"]["bytes"]
            saved += layer["weights"]["dense_bytes"] - layer["weights"]["bytes"]
        elif "weights" in layer:
            assert layer["weights"]["encoding"] == "dense"
    assert r["flash"]["weights"] == dense["flash"]["weights"] - saved
    table = run_cli("analyze", str(out), "--compress", "int4").stdout
    assert "packed weights save" in table and "int4" in table


def test_bad_compress_values_are_refused(digits_build, tmp_path):
    proc = run_cli("codegen", str(digits_build), "-o", str(tmp_path / "c"), "--compress", "lut9")
    assert proc.returncode == 2 and "lut9" in proc.stderr
    assert not (tmp_path / "c").exists()
    proc = run_cli("compress", str(tmp_path / "missing.tflite"), "--to", "int4")
    assert proc.returncode == 2 and "missing.tflite" in proc.stderr and "Traceback" not in proc.stderr


def test_a_build_generated_for_flash_is_what_eval_and_gate_measure(build_copy):
    """The C stage of `edgenn run` (c_stages, given the recipe's [codegen] optimize) generates and builds
    for flash; eval sizes that build and gate checks its flash, which is below the fast build's, at the
    same accuracy (the same bytes out)."""
    from edgenn import toolchain
    from edgenn.layout import BuildDir
    from edgenn.pipeline import c_stages

    fast = json.loads((build_copy / "report.json").read_text())
    c_stages(BuildDir(build_copy), "digits_cnn", "test", optimize="size")
    assert json.loads((build_copy / "c" / "edgenn.json").read_text())["optimize"] == "size"
    proc = run_cli("eval", str(build_copy))
    assert proc.returncode in (0, 1), proc.stderr
    small = json.loads((build_copy / "report.json").read_text())
    target = toolchain.built_targets(build_copy / "c")[0]
    assert small["footprint"]["flash_bytes"] == toolchain.built(build_copy / "c", target).flash_bytes
    assert small["footprint"]["flash_bytes"] < fast["footprint"]["flash_bytes"]
    acc = {v["name"]: v["accuracy"] for v in small["variants"] if v["format"] == "c"}
    assert acc and acc == {v["name"]: v["accuracy"] for v in fast["variants"] if v["format"] == "c"}
    limit = small["footprint"]["flash_bytes"]
    assert run_cli("gate", str(build_copy), "--max-flash", str(limit)).returncode == 0
    assert run_cli("gate", str(build_copy), "--max-flash", str(limit - 1)).returncode == 1
