"""The C frontend (CMSIS-DSP compiled from source) against the Python one (the cmsisdsp package) on FSDD's test split.

Every recording of the customary test split (`{digit}_{speaker}_{index}.wav` with index 0-4: 300 files)
becomes a clip; its features are computed by `MfccFrontend` in Python, by the runner built for the host
(gcc, glibc) and by the runner built for a Cortex-M4 and run in QEMU (arm-none-eabi-gcc, newlib).

Tolerance. All three run CMSIS-DSP 1.10.3's arm_mfcc_f32, but compiled by different compilers with
different flags (the cmsisdsp wheel's own build, gcc for x86-64, arm-none-eabi-gcc) and with different
logf implementations (glibc, newlib), so float32 roundings may differ in the last bit at any step. What
reaches the output is bounded by the DCT's last sums: 20 terms of size up to |ln(1e-6)| = 13.8 each, so
partial sums up to about 90, whose float32 ulp is 7.6e-6. Measured over these 300 clips (63 x 13 values
each): Python vs host 9.06e-6, Python vs Cortex-M4 9.06e-6, host vs Cortex-M4 3.81e-6 (largest absolute
differences; about 23% of Python vs C values and 91% of host vs Cortex-M4 values are bit-identical).
Allowed: ATOL = 5e-5 (about 6 ulps at that scale, 5x the largest measured), and 2e-5 between the two C
builds. Relative tolerances would be meaningless here: coefficients near zero come out of cancelling sums.
A wrong table, window or frame offset moves features by 0.1 or more; even scaling samples by 1/32767
instead of 1/32768 moves them by 2e-4, four times ATOL.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from edgenn.errors import EdgeNNError
from edgenn.frontend.build import build_frontend, run_frontend
from edgenn.frontend.csrc import cmsis_dsp_root
from edgenn.frontend.mfcc import MfccFrontend, fit_clip
from edgenn.recipe import FrontendSpec
from tests.conftest import SHARED, require, require_target_tools

SPEC = FrontendSpec(kind="mfcc")
RECORDINGS = SHARED / "datasets" / "fsdd" / "recordings"
TEST_FILES = 300  # 10 digits x 6 speakers x indices 0-4
ATOL_PYTHON_VS_C = 5e-5
ATOL_HOST_VS_M4 = 2e-5


def read_clip(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, SPEC.sample_rate), path
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return fit_clip(samples, SPEC.clip_samples)


@pytest.fixture(scope="module")
def clips() -> np.ndarray:
    require(RECORDINGS.is_dir(), f"{RECORDINGS}")
    files = sorted(p for p in RECORDINGS.glob("*.wav") if int(p.stem.split("_")[2]) < 5)
    assert len(files) == TEST_FILES
    return np.stack([read_clip(p) for p in files])


@pytest.fixture(scope="module")
def python_features(clips) -> np.ndarray:
    return MfccFrontend(SPEC).batch(clips)[..., 0]


@pytest.fixture(scope="module")
def c_features(clips, tmp_path_factory):
    """A function target -> (N, frames, coefficients) features from that target's build, each built once."""
    try:
        cmsis_dsp_root()
    except EdgeNNError as exc:
        require(False, f"CMSIS-DSP sources ({exc.line()})")
    done = {}

    def on(target: str) -> np.ndarray:
        if target not in done:
            require_target_tools(target)
            folder = tmp_path_factory.mktemp(f"frontend-{target}")
            elf = build_frontend(SPEC, folder, target)
            assert elf.is_file()
            done[target] = run_frontend(folder, clips, target)
        return done[target]

    return on


def test_the_features_are_not_trivial(python_features):
    # The comparisons below mean something only if the features vary far beyond the tolerance.
    assert python_features.shape == (TEST_FILES, SPEC.frames, SPEC.mfcc_coefficients)
    assert np.isfinite(python_features).all()
    assert python_features.std(axis=(0, 1)).min() > 1000 * ATOL_PYTHON_VS_C


@pytest.mark.parametrize("target", ["host", "cortex-m4"])
def test_c_frontend_matches_python_on_every_test_recording(target, c_features, python_features):
    got = c_features(target)
    assert got.shape == python_features.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, python_features, rtol=0, atol=ATOL_PYTHON_VS_C)


def test_host_and_cortex_m4_builds_agree(c_features):
    np.testing.assert_allclose(c_features("cortex-m4"), c_features("host"), rtol=0, atol=ATOL_HOST_VS_M4)
