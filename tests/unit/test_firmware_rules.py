"""The kernel library's own rules, checked on its sources: no heap, no stdio, no float in int8 kernels."""

import importlib
import re
from pathlib import Path

import pytest

from edgenn.clib import INCLUDE, SRC
from edgenn.reference import OPS

SOURCES = sorted(SRC.glob("*.c")) + sorted(INCLUDE.glob("*.h"))
FLOAT_BOUNDARY = {"quantize", "dequantize"}  # the ops that convert between float and int8


def computes_in_float(stem: str) -> bool:
    """A float32 kernel: its op module (`<op>_f32` sibling or a float-only op) lists only float32 in
    TYPES; the float kernels' shared header (`*_f32.h` with no module) goes with them."""
    try:
        module = importlib.import_module(f"edgenn.reference.{stem}")
    except ModuleNotFoundError:
        return stem.endswith("_f32")
    return tuple(getattr(module, "TYPES", ())) == ("float32",)


def code_of(path: Path) -> str:
    text = path.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_heap_no_stdio(path):
    code = code_of(path)
    assert not re.search(r"\b(malloc|calloc|realloc|free|printf|fprintf|FILE)\b|<stdio\.h>|<stdlib\.h>", code)


@pytest.mark.parametrize(
    "path", [p for p in SOURCES if p.stem not in FLOAT_BOUNDARY and not computes_in_float(p.stem)], ids=lambda p: p.name
)
def test_no_float_in_the_int8_path(path):
    assert not re.search(r"\b(float|double)\b", code_of(path))


def test_every_op_has_a_c_kernel_of_the_same_name():
    for module in OPS.values():
        assert (SRC / f"{module}.c").is_file(), module
        assert (INCLUDE / f"{module}.h").is_file(), module
