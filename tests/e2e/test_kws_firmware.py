"""The keyword-spotting firmware (C MFCC -> int8 features -> generated int8 model -> label) against Python.

Every clip of the build's test split (the 300 FSDD recordings with index 0-4) goes through the firmware
built for the host and for a Cortex-M4 run in QEMU, and through the Python pipeline: the build's Python
MFCC features (x_test), quantized as every runner quantizes them, into TFLM's interpreter. The labels
must agree on every file.

Input codes. The C and Python frontends differ by at most a few float32 ulps (test_frontend_parity:
measured 9.1e-6 at most, 6.7e-7 on average, tolerance 5e-5), and the firmware quantizes exactly as the
Python pipeline does (float32 quotient, ties to even), so a code can differ only where a Python feature's
quotient lies within 5e-5 / scale of a rounding boundary, and then by one. The expected number of such
flips is sum(|C - Python|) / scale, about 0.43 over the 245,700 values here (scale 0.39). Measured on both
targets: 1 code differs (0_yweweler_3.wav, frame 14, coefficient 7: Python 0.19380921, quotient
0.49999997 -> code 97; C 0.19380927, quotient 0.5000001 -> 98), and the label is unchanged. Allowed:
MAX_CODE_DIFFS = 10 codes, over 20 times the expected count.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from edgenn.data.splits import load_build_data
from edgenn.errors import EdgeNNError
from edgenn.frontend.csrc import cmsis_dsp_root
from edgenn.frontend.kws import (
    PARTS,
    RUNNER,
    build_kws,
    firmware_dir,
    footprint,
    frontend_spec,
    python_pipeline,
    run_kws,
    run_kws_io,
)
from edgenn.toolchain import manifest
from tests.conftest import require, require_target_tools

TARGETS = ["host", "cortex-m4"]
ATOL_FEATURES = 5e-5  # C vs Python frontend tolerance, see test_frontend_parity
MAX_CODE_DIFFS = 10


@pytest.fixture(scope="module")
def data(kws_build):
    d = load_build_data(kws_build)
    assert d.clips_test is not None and d.clips_test.shape == (300, 8192)
    return d


@pytest.fixture(scope="module")
def python(kws_build, data):
    return python_pipeline(kws_build, data.x_test)


@pytest.fixture(scope="module")
def firmware(kws_build, data):
    """A function target -> KwsRun of the firmware on every test clip, each target built and run once."""
    try:
        cmsis_dsp_root()
    except EdgeNNError as exc:
        require(False, f"CMSIS-DSP sources ({exc.line()})")
    done = {}

    def on(target: str):
        if target not in done:
            require_target_tools(target)
            assert build_kws(kws_build, target).is_file()
            done[target] = run_kws_io(kws_build, data.clips_test, target)
        return done[target]

    return on


def test_python_labels_are_worth_matching(python, data):
    # Agreement means something only if the labels are the model's good, varied answers.
    assert np.mean(python.labels == data.y_test) >= 0.9
    assert set(python.labels.tolist()) == set(range(10))


@pytest.mark.parametrize("target", TARGETS)
def test_labels_match_the_python_pipeline_on_every_test_file(target, firmware, python, data):
    got = firmware(target)
    assert got.labels.shape == (300,) and got.labels.dtype == np.int32
    wrong = [
        f"{data.files_test[i]}: {got.labels[i]} != {python.labels[i]}"
        for i in np.flatnonzero(got.labels != python.labels)
    ]
    assert not wrong, wrong


@pytest.mark.parametrize("target", TARGETS)
def test_int8_input_codes_match_the_python_quantization(target, firmware, python, data, kws_build):
    got = firmware(target)
    assert got.inputs.shape == python.inputs.shape == (300, 63 * 13)
    delta = got.inputs.astype(np.int16) - python.inputs.astype(np.int16)
    where = np.flatnonzero(delta)
    print(f"{target}: {where.size} of {delta.size} input codes differ")
    assert where.size <= MAX_CODE_DIFFS
    assert np.all(np.abs(delta.reshape(-1)[where]) == 1)
    # Each differing code sits at a rounding boundary of the input quantization, within the features' tolerance.
    scale = np.float32(manifest(kws_build / "c")["input"]["scale"][0])
    quotient = data.x_test.reshape(-1)[where] / scale
    assert np.all(np.abs(quotient - np.floor(quotient) - 0.5) <= ATOL_FEATURES / scale)
    # Where a clip's inputs are identical, the generated model gives TFLM's outputs byte for byte.
    same = ~delta.any(axis=1)
    assert same.sum() >= 300 - MAX_CODE_DIFFS
    np.testing.assert_array_equal(got.outputs[same], python.outputs[same])


def test_run_kws_gives_the_labels(kws_build, firmware, data):
    firmware("host")  # built
    np.testing.assert_array_equal(run_kws(kws_build, data.clips_test[:7], "host"), firmware("host").labels[:7])


def test_cortex_m4_footprint_of_model_and_frontend(kws_build, firmware):
    firmware("cortex-m4")  # built
    elf_path = firmware_dir(kws_build, "cortex-m4") / RUNNER
    sizes = footprint(kws_build, "cortex-m4")
    spec = frontend_spec(kws_build)
    assert sizes["model"]["bss"] == manifest(kws_build / "c")["arena_bytes"]  # the arena is the model's RAM
    assert sizes["model"]["text"] >= manifest(kws_build / "c")["const_bytes"]  # weights are in flash
    assert sizes["frontend"]["bss"] >= 2 * spec.frame_length * 4  # the frame and the FFT's scratch
    assert sizes["cmsis_dsp"]["text"] > 0 and sizes["libm"]["text"] > 0  # the FFT, logf
    whole = sizes["model+frontend"]
    assert whole["flash_bytes"] == sum(sizes[p]["flash_bytes"] for p in ("model", "frontend", "cmsis_dsp", "libm"))
    # The parts account for the whole ELF, up to the linker's alignment padding.
    elf = subprocess.run(["arm-none-eabi-size", str(elf_path)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in elf.stdout.splitlines()[1].split()[:3])
    parts = [sizes[p] for p in PARTS]
    assert sum(p["bss"] for p in parts) == bss
    assert 0 <= text + data - sum(p["flash_bytes"] for p in parts) <= 256
    # Measured 52,874 B of flash and 30,777 B of RAM: CMSIS-DSP's tables for every FFT length (over 100 kB)
    # must have been left out by the link, and the frontend adds little RAM to the model's arena.
    assert whole["flash_bytes"] < 64 * 1024 and whole["ram_bytes"] < 40 * 1024
