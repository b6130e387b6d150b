"""Every model of the test suite is bit-exact with TFLM on every target whose board holds it.

Targets are edgenn/targets.py's records: the host, six Cortex-M cores on their QEMU boards (the
Cortex-M0+ on the micro:bit when the model fits its 16 KB, else as Armv6-M code on an MPS2 board with
unaligned accesses trapping) and RV32IMC on QEMU's virt board. The models: TFLM's examples that the
C backend computes in integers (keyword_scrambled with its int16 input and SVDF state carried from one
input to the next; the float hello_world is checked within a tolerance in tests/e2e/test_float_models.py)
and the three recipe builds;
tests/e2e/test_architectures.py runs the reference architectures (ResNet-8, MobileNetV1, the
autoencoder) on every target too.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from edgenn import layout, toolchain
from edgenn.clib import FIRMWARE
from edgenn.export.codegen import codegen
from edgenn.targets import DEVICE_TARGETS, TARGETS
from tests.conftest import require_target_tools, run_cli
from tests.kernels.harness import check_folder_on_target, probe_inputs, tflm_outputs

TFLM_MODELS = {  # name: (file, probe inputs)
    "hello_world": ("hello_world_int8.tflite", 16),
    "micro_speech": ("micro_speech_quantized.tflite", 6),
    "person_detect": ("person_detect.tflite", 5),
    "keyword_scrambled": ("keyword_scrambled_8bit.tflite", 8),
}
RECIPE_MODELS = ("digits_cnn", "kws_dscnn", "sine")


@pytest.fixture(scope="module")
def models(tflm_examples, tmp_path_factory, request) -> dict:
    """name -> (generated folder, .tflite bytes, inputs, TFLM's outputs), made when first asked for."""
    made: dict = {}

    def get(name: str):
        if name not in made:
            root = tmp_path_factory.mktemp(name)
            if name in TFLM_MODELS:
                file, count = TFLM_MODELS[name]
                tflite = tflm_examples / file
                folder = codegen(tflite, root / "c", name=name)
            else:  # a recipe build of the session, copied so that no other test's build folder is touched
                build = request.getfixturevalue({"digits_cnn": "digits_build"}.get(name, name.split("_")[0] + "_build"))
                tflite = build / layout.TFLITE_INT8
                folder = root / "c"
                shutil.copytree(build / layout.C_DIR, folder, ignore=shutil.ignore_patterns("build-*"))
                count = 8
            m = toolchain.manifest(folder)
            dtype = np.dtype(m["input"]["dtype"])
            x = probe_inputs(tuple(m["input"]["shape"][1:]), count=count, dtype=dtype)
            x = x.reshape(count, *m["input"]["shape"])
            made[name] = (folder, tflite.read_bytes(), x, tflm_outputs(tflite.read_bytes(), x))
        return made[name]

    return get


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("model", [*TFLM_MODELS, *RECIPE_MODELS])
def test_bit_exact_with_tflm_on_every_target(models, model, target):
    require_target_tools(target)
    folder, _, x, want = models(model)
    check_folder_on_target(folder, x, want, target)


def test_the_cortex_m0plus_runs_small_models_on_the_microbit_and_large_ones_on_mps2(models):
    require_target_tools("cortex-m0plus")
    small, large = models("hello_world")[0], models("person_detect")[0]
    assert toolchain.build(small, "cortex-m0plus").machine == "microbit"
    assert toolchain.build(large, "cortex-m0plus").machine == "mps2-an385"  # 55 KB of arena: not in 16 KB


UNALIGNED = r"""
#include <stdint.h>
static volatile uint8_t bytes[8] __attribute__((aligned(4))) = {1, 2, 3, 4, 5, 6, 7, 8};
int main(void) {
    uint32_t word;
    const volatile uint8_t *p = &bytes[1];
    /* One word load from an odd address: what a kernel reading int8 data as words would do. */
    __asm__ volatile("ldr %0, [%1]" : "=r"(word) : "r"(p) : "memory");
    return word == 0x05040302u ? 0 : 1;
}
"""


def _bare_metal(tmp: Path, target: str, machine: str, source: str) -> int:
    """Compile `source` as a firmware for `target` on `machine` with edgenn's start-up; its exit status in QEMU."""
    t = TARGETS[target]
    m = t.machine(machine)
    (tmp / "main.c").write_text(source)
    elf = tmp / f"{target}-{machine}.elf"
    cmd = [
        t.cc,
        *t.cflags,
        "-O1",
        *t.ldflags,
        *m.defsyms(),
        "-T",
        str(FIRMWARE / "targets" / t.linker_script),
        str(tmp / "main.c"),
        str(FIRMWARE / "targets" / t.startup),
        "-o",
        str(elf),
    ]
    subprocess.run(cmd, check=True)
    return subprocess.run(t.qemu_command(m, str(elf)), cwd=tmp, timeout=60, capture_output=True).returncode


@pytest.mark.parametrize("machine", ["microbit", "mps2-an385"])
def test_an_unaligned_access_faults_on_the_cortex_m0plus_boards(tmp_path, machine):
    require_target_tools("cortex-m0plus")
    assert _bare_metal(tmp_path, "cortex-m0plus", machine, UNALIGNED) == 99  # the start-up's fault handler


def test_the_same_access_passes_on_the_cortex_m3(tmp_path):
    """The fault above comes from the trap the M0+ start-up arms, not from the test program."""
    require_target_tools("cortex-m3")
    assert _bare_metal(tmp_path, "cortex-m3", "mps2-an385", UNALIGNED) == 0


def test_a_hand_build_with_only_mcpu_gets_the_dsp_kernels(models, tmp_path):
    """A firmware team's build: the model's sources with `-mcpu=cortex-m4 -mthumb -O2` and nothing else.

    Linked with edgenn's runner and start-up to run in QEMU, it executes exactly the instructions of
    `edgenn firmware build --target cortex-m4`, and fewer than the plain-loop (--no-dsp) build.
    """
    require_target_tools("cortex-m4")
    folder, _, x, _ = models("micro_speech")
    m = toolchain.manifest(folder)
    t = TARGETS["cortex-m4"]
    machine = t.machines[0]
    objects = []
    for i, src in enumerate(toolchain.model_sources(folder, m)):
        obj = tmp_path / f"{i}.o"
        subprocess.run(
            ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-O2", "-I", str(folder), "-c", str(src), "-o", obj],
            check=True,
        )
        objects.append(str(obj))
    harness = [
        f"-DEDGENN_NAME={m['name']}",
        f"-DEDGENN_PREFIX={m['prefix']}",
        "-DEDGENN_IN_T=int8_t",
        "-DEDGENN_OUT_T=int8_t",
        f'-DEDGENN_HEADER="{m["header"]}"',
        "-I",
        str(folder),
        str(FIRMWARE / "targets" / "runner.c"),
        str(FIRMWARE / "targets" / t.startup),
    ]
    elf = tmp_path / "hand.elf"
    link = ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-O2", *t.ldflags, *machine.defsyms()]
    link += ["-T", str(FIRMWARE / "targets" / t.linker_script), *harness, *objects, "-o", str(elf)]
    subprocess.run(link, check=True)
    work = tmp_path / "run"
    work.mkdir()
    (work / "inputs.bin").write_bytes(np.ascontiguousarray(x[:2]).tobytes())
    hand = toolchain.plugin_counts(
        toolchain.emulator(elf, "cortex-m4"), elf, "edgenn_bench_begin", "edgenn_bench_end", work, inputs=2
    ).per_inference

    toolchain.build(folder, "cortex-m4")
    dsp = toolchain.count_instructions(folder, x[:2])
    toolchain.build(folder, "cortex-m4", dsp=False)
    plain = toolchain.count_instructions(folder, x[:2])
    assert hand == dsp < plain


def test_every_device_target_names_its_board_memory_and_tools():
    for name in DEVICE_TARGETS:
        t = TARGETS[name]
        assert t.machines and t.qemu and t.cflags and any(tool == t.cc for tool, _ in t.tools), name
        for m in t.machines:
            assert m.flash[1] > 0 and m.ram[1] > 0
        if t.startup:
            assert (FIRMWARE / "targets" / t.startup).is_file() and (FIRMWARE / "targets" / t.linker_script).is_file()


def test_firmware_targets_lists_every_target_with_its_boards():
    proc = run_cli("firmware", "targets")
    assert proc.returncode == 0, proc.stderr
    for name, t in TARGETS.items():
        assert any(line.startswith(f"{name} ") and t.cc in line for line in proc.stdout.splitlines()), name
        for m in t.machines:
            assert f"{m.name} ({m.flash[1] // 1024:,} KiB flash, {m.ram[1] // 1024:,} KiB RAM)" in proc.stdout
