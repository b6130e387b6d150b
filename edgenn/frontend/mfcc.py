"""MFCC features computed by CMSIS-DSP's `arm_mfcc_f32`, through the `cmsisdsp` package.

The firmware runs the same CMSIS-DSP function, compiled from the same version's C sources, on the same
tables (`tables`), so a model sees on the device the features it was trained on.

A clip is `clip_samples` int16 samples, scaled to float32 by 1/32768 (exact: a power of two). Frame i is
samples [i * hop_length, i * hop_length + frame_length); its FFT length is frame_length. Per frame,
`arm_mfcc_f32` normalises the frame by its largest magnitude, multiplies it by the window, takes the
magnitude of the real FFT (scaled back by that largest magnitude), applies the triangular mel filters,
adds 1e-6, takes the natural log, and multiplies by the DCT-II matrix.

Tables:
- window: periodic Hann, w[k] = 0.5 - 0.5 cos(2 pi k / N) for k in [0, N): the usual window for spectral
  analysis of overlapping frames (its N-point DFT has exactly three non-zero bins, which the symmetric
  form, with period N - 1, does not);
- mel filters: `cmsisdsp.mfcc.melFilterMatrix`, triangles equally spaced on the mel scale
  (mel = 1127 ln(1 + f / 700)) from fmin to fmax, the DC bin excluded, packed as CMSIS-DSP stores them:
  for filter m, `filter_lengths[m]` coefficients applied from FFT bin `filter_positions[m]` on;
- DCT: `cmsisdsp.mfcc.dctMatrix`, orthonormal-scaled DCT-II rows sqrt(2 / M) cos(pi k (m + 0.5) / M),
  (mfcc_coefficients, mel_filters) row-major.
"""

from __future__ import annotations

from collections.abc import Callable

import cmsisdsp as dsp
import cmsisdsp.datatype as dsp_types
import cmsisdsp.mfcc as dsp_mfcc
import numpy as np

from edgenn.errors import DataError, RecipeError
from edgenn.recipe import FrontendSpec

# FFT lengths arm_rfft_fast_f32 implements (a power of two in this range).
FFT_LENGTHS = (32, 64, 128, 256, 512, 1024, 2048, 4096)
# arm_mfcc_f32 adds this before the log so that a silent band gives log(1e-6), not -inf.
LOG_OFFSET = 1.0e-6
SCALE = 32768.0  # int16 full scale: samples / SCALE lie in [-1, 1)


def check_spec(spec: FrontendSpec) -> None:
    """Refuse a spec arm_mfcc_f32 cannot compute, with one line naming the field."""
    problems = []
    if spec.kind != "mfcc":
        problems.append(f"kind is {spec.kind!r}; this frontend computes 'mfcc'")
    if spec.frame_length not in FFT_LENGTHS:
        problems.append(
            f"frame_length {spec.frame_length} is not an FFT length CMSIS-DSP supports "
            f"({', '.join(map(str, FFT_LENGTHS))})"
        )
    if spec.hop_length < 1:
        problems.append(f"hop_length {spec.hop_length} must be at least 1")
    if spec.clip_samples < spec.frame_length:
        problems.append(f"clip_samples {spec.clip_samples} is shorter than one frame ({spec.frame_length})")
    if spec.sample_rate < 1:
        problems.append(f"sample_rate {spec.sample_rate} must be positive")
    if spec.mel_filters < 1:
        problems.append(f"mel_filters {spec.mel_filters} must be at least 1")
    if not 1 <= spec.mfcc_coefficients <= spec.mel_filters:
        problems.append(f"mfcc_coefficients {spec.mfcc_coefficients} must be between 1 and mel_filters")
    if not 0.0 <= spec.fmin < spec.fmax <= spec.sample_rate / 2:
        problems.append(
            f"need 0 <= fmin < fmax <= sample_rate / 2, got fmin {spec.fmin}, fmax {spec.fmax}, "
            f"sample_rate {spec.sample_rate}"
        )
    if problems:
        raise RecipeError(None, "frontend: " + "; ".join(problems))


def hann_window(length: int) -> np.ndarray:
    """Periodic Hann window of `length` samples, computed in float64 and rounded once to float32."""
    k = np.arange(length, dtype=np.float64)
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * k / length)).astype(np.float32)


def _mel_filters(spec: FrontendSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bins = spec.frame_length // 2 + 1
    narrow = RecipeError(
        None,
        f"frontend: {spec.mel_filters} mel filters between {spec.fmin} and {spec.fmax} Hz are too narrow for "
        f"an FFT of {spec.frame_length} samples at {spec.sample_rate} Hz (a filter covers no FFT bin): "
        "use fewer filters or a longer frame",
    )
    try:
        lengths, positions, coefs = dsp_mfcc.melFilterMatrix(
            dsp_types.F32, spec.fmin, spec.fmax, spec.mel_filters, spec.sample_rate, spec.frame_length
        )
    except (NameError, UnboundLocalError):  # the packer found a filter without a non-zero bin
        raise narrow from None
    lengths = np.asarray(lengths, dtype=np.int64)
    positions = np.asarray(positions, dtype=np.int64)
    coefs = np.asarray(coefs, dtype=np.float32)
    # The packer keeps the previous filter's bounds when a filter is empty; such tables fail these checks.
    ok = (
        lengths.size == spec.mel_filters
        and bool(np.all(lengths >= 1))
        and bool(np.all(positions >= 1))
        and bool(np.all(positions + lengths <= bins))
        and bool(np.all(np.diff(positions) > 0))
        and coefs.size == int(lengths.sum())
        and bool(np.all(coefs > 0))
    )
    if not ok:
        raise narrow
    return positions.astype(np.uint32), lengths.astype(np.uint32), coefs


def tables(spec: FrontendSpec) -> dict[str, np.ndarray]:
    """The arrays `arm_mfcc_init_f32` takes, in its argument order's types.

    Keys: "window" (float32, frame_length), "filter_positions" and "filter_lengths" (uint32, mel_filters),
    "filter_coefs" (float32, sum of the lengths), "dct" (float32, mfcc_coefficients * mel_filters, row-major).
    """
    check_spec(spec)
    positions, lengths, coefs = _mel_filters(spec)
    dct = np.asarray(dsp_mfcc.dctMatrix(dsp_types.F32, spec.mfcc_coefficients, spec.mel_filters), dtype=np.float32)
    return {
        "window": hann_window(spec.frame_length),
        "filter_positions": positions,
        "filter_lengths": lengths,
        "filter_coefs": coefs,
        "dct": dct,
    }


def fit_clip(samples: np.ndarray, clip_samples: int) -> np.ndarray:
    """The first `clip_samples` samples as int16, zero-padded at the end when there are fewer."""
    samples = np.asarray(samples)
    if clip_samples < 1:
        raise DataError(None, f"clip length must be at least 1 sample, got {clip_samples}")
    if samples.ndim != 1:
        raise DataError(None, f"expected a 1-D array of samples, got shape {samples.shape}")
    if samples.dtype != np.int16:
        info = np.iinfo(np.int16)
        if not np.issubdtype(samples.dtype, np.integer) or (
            samples.size and (samples.min() < info.min or samples.max() > info.max)
        ):
            raise DataError(None, f"samples must be 16-bit integers, got {samples.dtype}")
    clip = np.zeros(clip_samples, dtype=np.int16)
    n = min(clip_samples, samples.size)
    clip[:n] = samples[:n]
    return clip


class MfccFrontend:
    """MFCCs of fixed-length int16 clips, computed by `cmsisdsp.arm_mfcc_f32` frame by frame."""

    def __init__(self, spec: FrontendSpec):
        self.spec = spec
        self.tables = tables(spec)
        t = self.tables
        self._instance = dsp.arm_mfcc_instance_f32()
        status = dsp.arm_mfcc_init_f32(
            self._instance,
            spec.frame_length,
            spec.mel_filters,
            spec.mfcc_coefficients,
            t["dct"],
            t["filter_positions"],
            t["filter_lengths"],
            t["filter_coefs"],
            t["window"],
        )
        if status != 0:
            raise RecipeError(None, f"frontend: arm_mfcc_init_f32 refused the configuration (status {status})")
        # arm_mfcc_f32's scratch is "a temporary buffer of complex": its magnitude step reads frame_length
        # complex values, twice what the real FFT writes. The bins above Nyquist it reads there feed no
        # mel filter, but a buffer of frame_length floats would be read past its end.
        self._tmp = np.zeros(2 * spec.frame_length, dtype=np.float32)

    @property
    def feature_shape(self) -> tuple[int, int, int]:
        return self.spec.feature_shape

    def _check(self, clip: np.ndarray) -> np.ndarray:
        clip = np.asarray(clip)
        if clip.dtype != np.int16 or clip.shape != (self.spec.clip_samples,):
            raise DataError(
                None, f"a clip is {self.spec.clip_samples} int16 samples, got shape {clip.shape} {clip.dtype}"
            )
        return clip

    def features(self, clip: np.ndarray) -> np.ndarray:
        """(frames, mfcc_coefficients) float32 MFCCs of one clip of exactly clip_samples int16 samples."""
        s = self.spec
        x = self._check(clip).astype(np.float32) / np.float32(SCALE)
        out = np.empty((s.frames, s.mfcc_coefficients), dtype=np.float32)
        for i in range(s.frames):
            start = i * s.hop_length
            # arm_mfcc_f32 normalises and windows its input in place: it gets a copy of the frame.
            frame = x[start : start + s.frame_length].copy()
            out[i] = dsp.arm_mfcc_f32(self._instance, frame, self._tmp)
        return out

    def batch(self, clips: np.ndarray, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """(N, frames, mfcc_coefficients, 1) float32 features of (N, clip_samples) int16 clips.

        `progress(done, total)` is called after each clip when given.
        """
        clips = np.asarray(clips)
        if clips.ndim != 2 or clips.shape[1] != self.spec.clip_samples or clips.dtype != np.int16:
            raise DataError(
                None, f"expected (N, {self.spec.clip_samples}) int16 clips, got shape {clips.shape} {clips.dtype}"
            )
        out = np.empty((len(clips), *self.spec.feature_shape), dtype=np.float32)
        for n, clip in enumerate(clips):
            out[n, :, :, 0] = self.features(clip)
            if progress is not None:
                progress(n + 1, len(clips))
        return out
