"""The MFCC frontend in Python (cmsisdsp's arm_mfcc_f32), its tables, and the C it writes (without compiling)."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from edgenn.errors import DataError, EdgeNNError, RecipeError
from edgenn.frontend import csrc
from edgenn.frontend.mfcc import LOG_OFFSET, MfccFrontend, fit_clip, hann_window, tables
from edgenn.recipe import FrontendSpec
from tests.conftest import REPO

SPEC = FrontendSpec(kind="mfcc")


def mel(f):
    return 1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def tone(freq: float, spec: FrontendSpec = SPEC, amplitude: float = 8000.0) -> np.ndarray:
    t = np.arange(spec.clip_samples) / spec.sample_rate
    return np.round(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


@pytest.fixture(scope="module")
def frontend() -> MfccFrontend:
    return MfccFrontend(SPEC)


# ---------------------------------------------------------------------------------------------------------------
# Shapes and clips


def test_spec_shapes_follow_the_clip_and_hop():
    assert SPEC.frames == 63  # 1 + (8192 - 256) // 128
    assert SPEC.feature_shape == (63, 13, 1)


def test_features_and_batch_shapes(frontend):
    clips = np.stack([tone(440.0), tone(1500.0), np.zeros(SPEC.clip_samples, np.int16)])
    one = frontend.features(clips[0])
    assert one.shape == (SPEC.frames, SPEC.mfcc_coefficients) and one.dtype == np.float32
    calls = []
    many = frontend.batch(clips, progress=lambda done, total: calls.append((done, total)))
    assert many.shape == (3, *SPEC.feature_shape) and many.dtype == np.float32
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert np.array_equal(many[0, :, :, 0], one)  # the same computation, bit for bit


def test_features_refuse_a_clip_of_the_wrong_length_or_type(frontend):
    with pytest.raises(DataError, match="8192 int16"):
        frontend.features(np.zeros(SPEC.clip_samples - 1, np.int16))
    with pytest.raises(DataError, match="8192 int16"):
        frontend.features(np.zeros(SPEC.clip_samples, np.float32))
    with pytest.raises(DataError, match=r"\(N, 8192\) int16"):
        frontend.batch(np.zeros(SPEC.clip_samples, np.int16))


def test_fit_clip_crops_and_pads():
    samples = np.arange(1, 11, dtype=np.int16)
    cropped = fit_clip(samples, 4)
    assert cropped.dtype == np.int16 and cropped.tolist() == [1, 2, 3, 4]
    padded = fit_clip(samples, 13)
    assert padded.dtype == np.int16 and padded.tolist() == list(range(1, 11)) + [0, 0, 0]
    assert fit_clip(samples.astype(np.int32), 10).tolist() == list(range(1, 11))
    assert fit_clip(np.zeros(0, np.int16), 3).tolist() == [0, 0, 0]


def test_fit_clip_refuses_what_is_not_int16_audio():
    with pytest.raises(DataError, match="16-bit"):
        fit_clip(np.zeros(5, np.float32), 4)
    with pytest.raises(DataError, match="16-bit"):
        fit_clip(np.array([40000], np.int32), 4)
    with pytest.raises(DataError, match="1-D"):
        fit_clip(np.zeros((2, 5), np.int16), 4)
    with pytest.raises(DataError, match="at least 1"):
        fit_clip(np.zeros(5, np.int16), 0)


# ---------------------------------------------------------------------------------------------------------------
# Tables


def test_window_is_a_periodic_hann():
    w = tables(SPEC)["window"]
    n = SPEC.frame_length
    assert w.dtype == np.float32 and w.shape == (n,)
    assert w[0] == 0.0 and w[n // 2] == 1.0
    assert np.array_equal(w[1:], w[1:][::-1])  # periodic: w[k] == w[n - k]
    # float64 formula rounded once to float32: within half a float32 ulp, here at most 2**-25 for values <= 1
    k = np.arange(n)
    np.testing.assert_allclose(w, np.sin(np.pi * k / n) ** 2, rtol=0, atol=2.0**-25)
    assert np.array_equal(hann_window(n), w)


def test_mel_filters_are_the_triangles_on_the_mel_scale():
    t = tables(SPEC)
    pos, length, coefs = t["filter_positions"], t["filter_lengths"], t["filter_coefs"]
    assert pos.dtype == np.uint32 and length.dtype == np.uint32 and coefs.dtype == np.float32
    assert pos.shape == length.shape == (SPEC.mel_filters,)
    assert coefs.size == int(length.sum())
    assert np.all(np.diff(pos.astype(np.int64)) > 0) and pos[0] >= 1  # the DC bin is in no filter
    assert int(pos[-1]) + int(length[-1]) <= SPEC.frame_length // 2 + 1
    # Unpack and compare with the triangles computed here from their definition: edges at mel points equally
    # spaced from fmin to fmax, each filter 1 at its centre and 0 at its neighbours' centres. Both are float64
    # rounded once to float32, so they agree to a float32 rounding (rtol 1e-6) plus its absolute floor.
    bins = SPEC.frame_length // 2 + 1
    dense = np.zeros((SPEC.mel_filters, bins))
    offsets = np.concatenate([[0], np.cumsum(length.astype(np.int64))])
    for m in range(SPEC.mel_filters):
        dense[m, pos[m] : pos[m] + length[m]] = coefs[offsets[m] : offsets[m + 1]]
    edges = np.linspace(mel(SPEC.fmin), mel(SPEC.fmax), SPEC.mel_filters + 2)
    bin_mel = mel(np.linspace(0, SPEC.sample_rate / 2, bins))
    rise = (bin_mel[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    fall = (edges[2:, None] - bin_mel[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    expected = np.maximum(0.0, np.minimum(rise, fall))
    expected[:, 0] = 0.0
    np.testing.assert_allclose(dense, expected, rtol=1e-6, atol=1e-7)


def test_dct_rows_are_orthogonal():
    d = tables(SPEC)["dct"].astype(np.float64).reshape(SPEC.mfcc_coefficients, SPEC.mel_filters)
    # sqrt(2/M) cos(pi k (m + 0.5) / M): row 0 has squared norm 2, the others 1, all mutually orthogonal.
    # Sums of 20 float32-rounded products: 1e-6 covers their rounding (each term errs by < 6e-8).
    expected = np.eye(SPEC.mfcc_coefficients)
    expected[0, 0] = 2.0
    np.testing.assert_allclose(d @ d.T, expected, rtol=0, atol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# What the features say


def test_features_are_deterministic_and_leave_the_clip_alone():
    clip = tone(700.0) // 2 + tone(2100.0) // 3
    before = clip.copy()
    a = MfccFrontend(SPEC).features(clip)
    b = MfccFrontend(SPEC).features(clip)
    # The cmsisdsp wheel is built with -ffast-math: its vectorised sums may take another order when a
    # buffer lands at another alignment, which moves a feature by a few float32 steps (one step at 90 is
    # 7.6e-6), within the C-vs-Python parity tolerance (5e-5), never more.
    np.testing.assert_allclose(a, b, rtol=0, atol=5e-5)
    np.testing.assert_allclose(a, MfccFrontend(SPEC).features(clip), rtol=0, atol=5e-5)
    assert np.array_equal(clip, before)


def test_silence_is_the_dct_of_the_log_offset(frontend):
    f = frontend.features(np.zeros(SPEC.clip_samples, np.int16))
    d = tables(SPEC)["dct"].astype(np.float64).reshape(SPEC.mfcc_coefficients, SPEC.mel_filters)
    expected = d @ np.full(SPEC.mel_filters, np.log(np.float32(LOG_OFFSET)))
    # float32 log and a 20-term float32 dot product of values about -13.8: a few ulps of 13.8 * 20 (< 1e-4).
    np.testing.assert_allclose(f, np.broadcast_to(expected, f.shape), rtol=0, atol=1e-4)
    assert f[0, 0] < -50.0  # sqrt(2/20) * 20 * ln(1e-6) = -87.4: not a vacuous comparison


@pytest.mark.parametrize("freq", [250.0, 1000.0, 2500.0])
def test_a_pure_tone_lands_in_its_mel_band(freq):
    # With as many coefficients as filters the DCT is square and invertible: recover the log mel energies.
    spec = dataclasses.replace(SPEC, mfcc_coefficients=SPEC.mel_filters)
    d = tables(spec)["dct"].astype(np.float64).reshape(spec.mel_filters, spec.mel_filters)
    log_energy = np.linalg.solve(d, MfccFrontend(spec).features(tone(freq, spec)).astype(np.float64).T).T
    centres = np.linspace(mel(spec.fmin), mel(spec.fmax), spec.mel_filters + 2)[1:-1]
    expected = int(np.argmin(np.abs(centres - mel(freq))))
    assert np.all(np.argmax(log_energy, axis=1) == expected)
    # and far from the tone there is (almost) nothing: 1000 times less energy three bands away
    far = [m for m in range(spec.mel_filters) if abs(m - expected) >= 3]
    assert np.all(log_energy[:, far].max(axis=1) < log_energy[:, expected] - np.log(1000.0))


# ---------------------------------------------------------------------------------------------------------------
# Specs the frontend refuses


@pytest.mark.parametrize(
    "change, message",
    [
        ({"kind": "none"}, "kind is 'none'"),
        ({"frame_length": 300}, "frame_length 300"),
        ({"frame_length": 8192, "clip_samples": 16384}, "frame_length 8192"),
        ({"hop_length": 0}, "hop_length 0"),
        ({"clip_samples": 100}, "clip_samples 100"),
        ({"mfcc_coefficients": 21}, "mfcc_coefficients 21"),
        ({"mfcc_coefficients": 0}, "mfcc_coefficients 0"),
        ({"mel_filters": 0, "mfcc_coefficients": 0}, "mel_filters 0"),
        ({"fmax": 4001.0}, "fmax 4001.0"),
        ({"fmin": 4000.0}, "fmin 4000.0"),
        ({"fmin": -1.0}, "fmin -1.0"),
        ({"mel_filters": 60, "frame_length": 64}, "too narrow"),
    ],
)
def test_bad_specs_are_refused_with_the_field_named(change, message):
    spec = dataclasses.replace(SPEC, **change)
    with pytest.raises(RecipeError, match=re.escape(message)):
        MfccFrontend(spec)
    with pytest.raises(RecipeError, match=re.escape(message)):
        csrc.write_frontend(spec, REPO / "build" / "never-written")
    assert not (REPO / "build" / "never-written").exists()


def test_importing_the_frontend_does_not_import_tensorflow():
    code = "import sys, edgenn.frontend.mfcc, edgenn.frontend.csrc; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------------------------
# The C folder (written, not compiled: tests/e2e/test_frontend_parity.py compiles and runs it)


def c_arrays(text: str) -> dict[str, list[str]]:
    found = {}
    for name, body in re.findall(r"const \w+ (\w+)\[\d+\] = \{(.*?)\};", text, flags=re.S):
        found[name] = [item.strip() for item in body.split(",") if item.strip()]
    return found


def test_c_tables_hold_exactly_the_python_tables(tmp_path):
    csrc.write_frontend(SPEC, tmp_path)
    arrays = c_arrays((tmp_path / "mfcc_tables.c").read_text())
    t = tables(SPEC)
    for key, ctype in (
        ("window", "f"),
        ("filter_positions", "u"),
        ("filter_lengths", "u"),
        ("filter_coefs", "f"),
        ("dct", "f"),
    ):
        items = arrays[f"edgenn_mfcc_{key}"]
        assert all(item.endswith(ctype) for item in items), key
        parsed = np.array([item[:-1] for item in items]).astype(t[key].dtype)
        assert parsed.tobytes() == t[key].tobytes(), key  # bit for bit: the literals round-trip
    header = (tmp_path / "edgenn_frontend.h").read_text()
    for macro, value in (("FRAMES", 63), ("COEFFICIENTS", 13), ("CLIP_SAMPLES", 8192), ("HOP_LENGTH", 128)):
        assert re.search(rf"#define EDGENN_FRONTEND_{macro} {value}\n", header), macro
    assert "arm_mfcc_init_256_f32" in (tmp_path / "edgenn_frontend.c").read_text()
    assert not re.search(r"\b(malloc|calloc|free)\b", (tmp_path / "edgenn_frontend.c").read_text())
    mk = (tmp_path / "cmsisdsp.mk").read_text()
    assert all(src in mk for src in csrc.CMSIS_SOURCES)


@pytest.mark.parametrize("value", [0.0, 1.0, -2.5, 1e-6, 0.1, 3.4028235e38, 1.4e-45, 0.33333334])
def test_c_float_literals_round_trip(value):
    text = csrc.c_float(value)
    assert text.endswith("f") and re.fullmatch(r"-?[0-9.]+(e[-+]?\d+)?f", text)
    assert np.float32(text[:-1]) == np.float32(value)


# ---------------------------------------------------------------------------------------------------------------
# Finding the CMSIS-DSP sources


def fake_tree(root):
    for rel in (*csrc.CMSIS_SOURCES, "Include/arm_math.h"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("/* */\n")
    return root


def test_sources_come_from_the_variable_then_the_cache_else_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(csrc.ENV_SOURCE, raising=False)
    with pytest.raises(EdgeNNError, match="make cmsisdsp"):
        csrc.cmsis_dsp_root()
    cached = fake_tree(tmp_path / "cache" / "edgenn" / csrc.SDIST)
    assert csrc.cache_dir() == cached
    assert csrc.cmsis_dsp_root() == cached.resolve()
    given = fake_tree(tmp_path / "elsewhere" / csrc.SDIST)
    monkeypatch.setenv(csrc.ENV_SOURCE, str(given.parent))  # the folder holding the tree is accepted too
    assert csrc.cmsis_dsp_root() == given.resolve()
    (given / "Source" / "BasicMathFunctions" / "arm_scale_f32.c").unlink()
    with pytest.raises(EdgeNNError, match="arm_scale_f32.c is missing"):
        csrc.cmsis_dsp_root()


def test_a_tree_of_another_version_is_refused(tmp_path, monkeypatch):
    tree = fake_tree(tmp_path / csrc.SDIST)
    (tree / "cmsisdsp").mkdir()
    (tree / "cmsisdsp" / "version.py").write_text('__version__ = "1.9.9"\n')
    monkeypatch.setenv(csrc.ENV_SOURCE, str(tree))
    with pytest.raises(EdgeNNError, match="version 1.9.9"):
        csrc.cmsis_dsp_root()


def test_a_tarball_with_another_checksum_is_refused_and_nothing_unpacked(tmp_path, monkeypatch):
    tarball = tmp_path / f"{csrc.SDIST}.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        data = b"/* not CMSIS-DSP */\n"
        info = tarfile.TarInfo(f"{csrc.SDIST}/Include/arm_math.h")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv(csrc.ENV_SOURCE, str(tarball))
    with pytest.raises(EdgeNNError, match="sha256"):
        csrc.cmsis_dsp_root()
    assert not csrc.cache_dir().exists()
