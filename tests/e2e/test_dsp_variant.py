"""The kernel variant follows the compiler: a hand build with only the core's -mcpu gets the DSP path.

A firmware team compiles the generated folder with its own flags; no edgenn-specific define is needed
for the fast kernels, and -DEDGENN_NO_DSP (or a core without the DSP extension) gives the plain loops.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from edgenn import toolchain
from edgenn.export.codegen import codegen
from tests.conftest import require_tool

DSP_MNEMONICS = ("smlad", "sxtb16")


def disassembly(folder: Path, tmp: Path, *flags: str) -> str:
    sources = toolchain.model_sources(folder)
    objects = []
    for src in sources:
        obj = tmp / (src.stem + "-" + "-".join(f.strip("-") for f in flags) + ".o")
        subprocess.run(
            [
                "arm-none-eabi-gcc",
                "-std=c99",
                "-O2",
                "-mthumb",
                *flags,
                "-I",
                str(folder),
                "-c",
                str(src),
                "-o",
                str(obj),
            ],
            check=True,
        )
        objects.append(str(obj))
    return subprocess.run(["arm-none-eabi-objdump", "-d", *objects], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def folder(tflm_examples, tmp_path_factory) -> Path:
    require_tool("arm-none-eabi-gcc")
    out = tmp_path_factory.mktemp("dsp") / "c"
    return codegen(tflm_examples / "micro_speech_quantized.tflite", out, name="micro_speech")


@pytest.mark.parametrize(
    "flags, dsp",
    [
        (("-mcpu=cortex-m4",), True),
        (("-mcpu=cortex-m7",), True),
        (("-mcpu=cortex-m4", "-DEDGENN_NO_DSP"), False),
        (("-mcpu=cortex-m3",), False),  # Armv7-M: no DSP extension
    ],
)
def test_the_dsp_path_follows_the_cores_feature_macro(folder, tmp_path, flags, dsp):
    words = disassembly(folder, tmp_path, *flags).split()
    assert any(m in words for m in DSP_MNEMONICS) is dsp
