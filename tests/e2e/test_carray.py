"""The TFLM route's C array: compiles warning-free as C99, C11 and C++, and holds the exact bytes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from edgenn import layout
from edgenn.export.carray import array_files, export
from tests.conftest import require_tool

DUMP = r"""
#include <stdint.h>
#include <stdio.h>
#include "HEADER"

int main(void) {
    size_t i;
    if (((uintptr_t)SYM_model_data) % MODEL_DATA_ALIGNMENT != 0) return 3;
    if (SYM_model_data_len != MODEL_DATA_LEN) return 4;
    for (i = 0; i < SYM_model_data_len; ++i) putchar(SYM_model_data[i]);
    return 0;
}
"""


def dump_program(ident: str, prefix: str) -> str:
    return (
        DUMP.replace("HEADER", array_files(ident)[0])
        .replace("SYM", ident)
        .replace("MODEL_DATA_ALIGNMENT", f"{prefix}_MODEL_DATA_ALIGNMENT")
        .replace("MODEL_DATA_LEN", f"{prefix}_MODEL_DATA_LEN")
    )


def compile_and_dump(out: Path, ident: str, compiler: str, std: str) -> bytes:
    prog = out / "dump.c"
    prog.write_text(dump_program(ident, ident.upper()))
    exe = out / f"dump_{std.replace('+', 'p')}"
    lang = ["-x", "c++"] if "++" in std else []
    cmd = [
        compiler,
        f"-std={std}",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic",
        "-I",
        str(out),
        *lang,
        str(out / array_files(ident)[1]),
        str(prog),
        "-o",
        str(exe),
    ]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return subprocess.run([str(exe)], check=True, capture_output=True).stdout


@pytest.mark.parametrize("compiler, std", [("gcc", "c99"), ("gcc", "c11"), ("g++", "c++11")])
def test_digits_array_compiles_and_matches(digits_build, tmp_path, compiler, std):
    require_tool(compiler)
    header, source = export(digits_build, tmp_path, name="digits_cnn")
    assert compile_and_dump(tmp_path, "digits_cnn", compiler, std) == (digits_build / layout.TFLITE_INT8).read_bytes()


def test_header_metadata(digits_build, tmp_path):
    header, _ = export(digits_build, tmp_path, name="digits_cnn", command="edgenn export X")
    text = header.read_text()
    for needle in (
        "#ifndef EDGENN_DIGITS_CNN_MODEL_DATA_H",
        'extern "C"',
        "DIGITS_CNN_INPUT_SHAPE {1, 8, 8, 1}",
        "DIGITS_CNN_INPUT_ZERO_POINT (-128)",
        "DIGITS_CNN_OUTPUT_SCALE 0.00390625f",
        'DIGITS_CNN_INPUT_DTYPE "int8"',
        'DIGITS_CNN_LABELS {"0", "1", "2"',
        "DIGITS_CNN_NUM_OPS 5",
        '"CONV_2D,MAX_POOL_2D,RESHAPE,FULLY_CONNECTED,SOFTMAX"',
        "(resolver).AddConv2D();",
        "DIGITS_CNN_EDGENN_VERSION",
        "Command: edgenn export X",
    ):
        assert needle in text, needle
    import hashlib

    sha = hashlib.sha256((digits_build / layout.TFLITE_INT8).read_bytes()).hexdigest()
    assert f'DIGITS_CNN_MODEL_SHA256 "{sha}"' in text


@pytest.mark.parametrize(
    "model", ["hello_world_int8", "micro_speech_quantized", "person_detect", "keyword_scrambled_8bit"]
)
def test_foreign_models_export(tflm_examples, tmp_path, model):
    require_tool("gcc")
    export(tflm_examples / f"{model}.tflite", tmp_path)
    ident = model
    assert compile_and_dump(tmp_path, ident, "gcc", "c99") == (tflm_examples / f"{model}.tflite").read_bytes()
    text = (tmp_path / array_files(model)[0]).read_text()
    if model == "keyword_scrambled_8bit":
        assert "(resolver).AddSvdf();" in text and 'INPUT_DTYPE "int16"' in text
