"""examples/nucleo-l476rg: the bare-metal application for the STM32 Nucleo-L476RG builds from generated C
with its own Makefile, warning-free under -Wall -Wextra -Werror, and links as the board boots it: the
vector table at the start of flash, the reset handler in it, flash and RAM within the chip's.

The firmware is not run: no emulator models the STM32L4's peripherals.
"""

from __future__ import annotations

import math
import struct
import subprocess
from pathlib import Path

import pytest

from edgenn.export.codegen import codegen
from edgenn.toolchain import manifest
from tests.conftest import REPO, require_tool

EXAMPLE = REPO / "examples" / "nucleo-l476rg"
FLASH = (0x08000000, 1024 * 1024)
SRAM1 = (0x20000000, 96 * 1024)
STACK_MIN = 4 * 1024  # what STM32L476RG.ld keeps free for the stack
TOOLS = (
    "make",
    "awk",
    "od",
    "arm-none-eabi-gcc",
    "arm-none-eabi-objcopy",
    "arm-none-eabi-size",
    "arm-none-eabi-nm",
    "arm-none-eabi-readelf",
)
MODELS = [("hello_world_int8", "hello_world"), ("micro_speech_quantized", "micro_speech")]


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(EXAMPLE), *args], capture_output=True, text=True, timeout=300)


def generate(tflm_examples: Path, model: str, name: str, where: Path) -> Path:
    for tool in TOOLS:
        require_tool(tool)
    return codegen(tflm_examples / f"{model}.tflite", where / "c", name=name)


def symbols(elf: Path) -> dict[str, tuple[int, str]]:
    proc = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True)
    return {p[2]: (int(p[0], 16), p[1]) for p in (line.split() for line in proc.stdout.splitlines()) if len(p) == 3}


def sections(elf: Path) -> dict[str, tuple[int, int]]:
    """Section name -> (size, address), from `size -A`."""
    proc = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True, check=True)
    found = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            found[parts[0]] = (int(parts[1]), int(parts[2]))
    return found


@pytest.mark.parametrize(("model", "name"), MODELS)
def test_builds_for_the_board(tflm_examples, tmp_path, model, name):
    folder = generate(tflm_examples, model, name, tmp_path)
    out = tmp_path / "out"
    proc = make(f"MODEL={folder}", f"NAME={name}", f"OUT={out}")
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "warning" not in log.lower(), log
    compiles = [line for line in log.splitlines() if line.startswith("arm-none-eabi-gcc") and " -c " in line]
    assert any(f"{name}.c" in line for line in compiles) and any("main.c" in line for line in compiles)
    for line in compiles:
        for flag in ("-Wall", "-Wextra", "-Werror", "-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-O2"):
            assert flag in line.split(), (flag, line)

    elf, binary = out / "app.elf", out / "app.bin"
    table = symbols(elf)
    assert table["vector_table"][0] == FLASH[0]
    assert table["Reset_Handler"][1] == "T" and table[f"{name}_invoke"][1] == "T"
    secs = sections(elf)
    assert secs[".isr_vector"][1] == FLASH[0]
    # What the core reads at reset: the stack at the top of SRAM1, the reset handler's address (Thumb bit set).
    stack, reset = struct.unpack("<II", binary.read_bytes()[:8])
    assert stack == SRAM1[0] + SRAM1[1] == table["__StackTop"][0]
    assert reset == table["Reset_Handler"][0] | 1
    entry = subprocess.run(["arm-none-eabi-readelf", "-h", str(elf)], capture_output=True, text=True).stdout
    assert f"0x{reset:x}" in entry

    flash = sum(size for sec, (size, _) in secs.items() if sec in (".isr_vector", ".text", ".ARM.exidx", ".data"))
    ram = secs[".data"][0] + secs[".bss"][0]
    assert flash <= binary.stat().st_size <= flash + 64  # the image written at FLASH[0]: sections and their padding
    assert binary.stat().st_size <= FLASH[1]
    assert ram + STACK_MIN <= SRAM1[1]
    for sec in (".isr_vector", ".text"):
        assert FLASH[0] <= secs[sec][1] < FLASH[0] + FLASH[1], sec
    assert SRAM1[0] <= secs[".bss"][1] and secs[".bss"][1] + secs[".bss"][0] <= SRAM1[0] + SRAM1[1]
    # The static RAM is the model's arena and the app's copy of the output, nothing else (no C library state).
    m = manifest(folder)
    assert m["arena_bytes"] <= ram <= m["arena_bytes"] + math.prod(m["output"]["shape"]) + 16

    # The default sample: the model's input, every value at its zero point.
    sample = (out / "sample.h").read_text()
    assert "zero-point fill" in sample


def test_sample_from_a_file(tflm_examples, tmp_path):
    folder = generate(tflm_examples, "micro_speech_quantized", "micro_speech", tmp_path)
    out = tmp_path / "out"
    raw = tmp_path / "sample.bin"
    raw.write_bytes(bytes(range(256)) * 7 + bytes(1960 - 7 * 256))
    proc = make(f"MODEL={folder}", f"OUT={out}", f"SAMPLE={raw}")  # NAME read from edgenn.json
    assert proc.returncode == 0, proc.stdout + proc.stderr
    body = (out / "sample.h").read_text()
    assert "app_sample[1960]" in body and "126, 127,\n    -128, -127," in body

    raw.write_bytes(bytes(10))
    proc = make(f"MODEL={folder}", f"OUT={out}", f"SAMPLE={raw}")
    assert proc.returncode != 0 and "holds 10 bytes" in proc.stderr
    proc = make(f"MODEL={folder}", f"OUT={out}", "NAME=other")
    assert proc.returncode != 0 and "other.h not found" in proc.stderr


def test_the_package_does_not_need_the_example():
    """The example is a repository file: nothing the wheel ships refers to it."""
    for path in (REPO / "edgenn").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".c", ".h", ".json", ".toml") or path.name == "Makefile":
            assert "nucleo" not in path.read_text(errors="replace").lower(), path
    assert 'include = ["edgenn*"]' in (REPO / "pyproject.toml").read_text()
