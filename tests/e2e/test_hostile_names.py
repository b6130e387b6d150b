"""Strings from a model file never reach generated C unescaped: hostile names in every string field.

A model whose tensor, subgraph, operator, metadata and signature names and description carry C
comment terminators, preprocessor lines, newlines, backslashes, trigraphs and non-ASCII goes through
`export` (the TFLM C array, whose header names a custom op) and `codegen` (the standalone C). Every
generated file must be plain ASCII, hold none of the hostile strings as written, and compile with
-Werror in C and C++: a comment closed early, a spliced line or a trigraph would break the build.
"""

from __future__ import annotations

import subprocess

import flatbuffers
import pytest

from edgenn.graph.tflite import schema
from tests.conftest import require_tool, run_cli
from tests.e2e.test_carray import compile_and_dump

HOSTILE = [
    "*/ #error injected from a tensor name /*",
    "x */\n#error injected after a newline\n/*",
    "ends in a backslash \\",
    "??/ trigraph ??= ??'",
    "naïve ✓ \u202e rtl",
    "\x00nul \x1b[31m escape",
    "*/ int injected_symbol = 1; /*" + "z" * 3000,
]


def hostile_model(tflm_examples, custom: bool) -> bytes:
    data = (tflm_examples / "hello_world_int8.tflite").read_bytes()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    sub = m.subgraphs[0]
    for i, t in enumerate(sub.tensors):
        t.name = HOSTILE[i % len(HOSTILE)].encode()
    sub.name = HOSTILE[0].encode()
    m.description = HOSTILE[1].encode()
    meta = schema.MetadataT()
    meta.name, meta.buffer = HOSTILE[2].encode(), 0
    m.metadata = [*(m.metadata or []), meta]
    for sig in m.signatureDefs or []:
        sig.signatureKey = HOSTILE[3].encode()
        for tm in (*(sig.inputs or []), *(sig.outputs or [])):
            tm.name = HOSTILE[4].encode()
    if custom:
        code = m.operatorCodes[0]
        code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.CUSTOM
        code.customCode = HOSTILE[0].encode()
    b = flatbuffers.Builder(1 << 16)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def check_generated(folder):
    files = [p for p in folder.rglob("*") if p.is_file() and p.suffix in (".c", ".h", ".json", ".mk", "")]
    assert files
    for p in files:
        raw = p.read_bytes()
        assert raw.isascii(), f"{p.name} holds non-ASCII bytes"
        text = raw.decode()
        for s in HOSTILE:
            assert s not in text, f"{p.name} holds a model string as written: {s[:30]!r}"
        if p.suffix in (".c", ".h"):
            assert "??" not in text, f"{p.name} holds a trigraph opener"


@pytest.mark.parametrize("compiler, std", [("gcc", "c99"), ("g++", "c++11")])
def test_export_of_a_custom_op_with_a_hostile_name(tflm_examples, tmp_path, compiler, std):
    require_tool(compiler)
    model = tmp_path / "evil*name??=.tflite"
    model.write_bytes(hostile_model(tflm_examples, custom=True))
    out = tmp_path / "c"
    proc = run_cli("export", str(model), "-o", str(out), "--name", "evil")
    assert proc.returncode == 0, proc.stderr
    check_generated(out)
    header = (out / "evil_data.h").read_text()
    assert "register by hand" in header  # the custom op is named, escaped, in a comment
    # Compiles with every warning an error, and the array holds the file's bytes unchanged.
    assert compile_and_dump(out, "evil", compiler, std) == model.read_bytes()


def test_codegen_with_hostile_names_builds_with_werror(tflm_examples, tmp_path):
    require_tool("gcc")
    model = tmp_path / "we*ird.tflite"
    model.write_bytes(hostile_model(tflm_examples, custom=False))
    out = tmp_path / "gen"
    proc = run_cli("codegen", str(model), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    check_generated(out)
    proc = run_cli("firmware", "build", str(out), "--target", "host")
    assert proc.returncode == 0, proc.stderr
    # The symbols are edgenn's own: none is made from a model string.
    nm = subprocess.run(["nm", str(out / "build-host" / "runner.elf")], capture_output=True, text=True, check=True)
    assert "injected" not in nm.stdout


def test_a_hostile_custom_op_in_codegen_is_one_escaped_line(tflm_examples, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(hostile_model(tflm_examples, custom=True))
    proc = run_cli("codegen", str(model), "-o", str(tmp_path / "gen"))
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("edgenn: error:"), proc.stderr
    assert "\x1b" not in proc.stderr and "is not supported" in lines[0]
    assert not (tmp_path / "gen").exists()
