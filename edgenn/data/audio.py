"""A folder of labelled WAV recordings in the FSDD layout: `{label}_{speaker}_{index}.wav`.

Two splits:
- "customary": recordings with index 0-4 are the test set, the rest train (FSDD's own convention).
- "speaker": every recording of one speaker is the test set; the model never hears that voice in
  training, so the figure says how it generalises to a new speaker.
The validation split is drawn from the training recordings (seeded, stratified by label).

Recordings are read with the standard library's `wave` module: 16-bit PCM, mono, at the frontend's
sample rate; anything else is refused with the file's name. Each recording becomes a clip of fixed
length (cropped, or zero-padded at the end) before the frontend turns it into features.
"""

from __future__ import annotations

import re
import wave
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgenn.errors import DataError

NAME = re.compile(r"^(?P<label>[^_]+)_(?P<speaker>[^_]+)_(?P<index>\d+)\.wav$", re.IGNORECASE)
SPLITS = ("customary", "speaker")
CUSTOMARY_TEST_INDICES = range(5)


@dataclass(frozen=True)
class Recording:
    path: Path
    label: str
    speaker: str
    index: int


def recordings_dir(path: str | Path) -> Path:
    """The folder holding the WAVs: PATH itself, or PATH/recordings as FSDD ships it."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, "data folder not found")
    if not path.is_dir():
        raise DataError(path, "expected a folder of {label}_{speaker}_{index}.wav recordings")
    return path / "recordings" if (path / "recordings").is_dir() else path


def scan(path: str | Path) -> list[Recording]:
    """Every recording in the folder, sorted; files that are not .wav (README, JSON) are ignored."""
    folder = recordings_dir(path)
    found = []
    for file in sorted(folder.iterdir()):
        if file.suffix.lower() != ".wav":
            continue
        m = NAME.match(file.name)
        if not m:
            raise DataError(file, "name is not {label}_{speaker}_{index}.wav")
        found.append(Recording(file, m["label"], m["speaker"], int(m["index"])))
    if not found:
        raise DataError(folder, "no .wav recordings found")
    return found


def label_names(recordings: list[Recording]) -> tuple[str, ...]:
    """Labels in order: numerically when every label is an integer (0, 1, …, 10), else alphabetically."""
    names = {r.label for r in recordings}
    if all(n.isdigit() for n in names):
        return tuple(sorted(names, key=int))
    return tuple(sorted(names))


def read_wav(path: Path, sample_rate: int) -> np.ndarray:
    """16-bit mono PCM samples as int16; any other format or rate is a DataError naming the file."""
    try:
        with wave.open(str(path), "rb") as w:
            rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
            raw = w.readframes(frames)
    except (wave.Error, EOFError, OSError) as exc:
        raise DataError(path, f"not a readable WAV file ({exc})") from None
    if rate != sample_rate:
        raise DataError(path, f"sample rate {rate} Hz, the frontend expects {sample_rate} Hz")
    if channels != 1:
        raise DataError(path, f"{channels} channels, expected mono")
    if width != 2:
        raise DataError(path, f"{8 * width}-bit samples, expected 16-bit PCM")
    samples = np.frombuffer(raw, dtype="<i2").astype(np.int16)
    if samples.size == 0:
        raise DataError(path, "no samples")
    return samples


@dataclass(frozen=True)
class AudioSplit:
    """Clips (N, clip_samples) int16, labels, and which recordings, for each split."""

    train: list[Recording]
    val: list[Recording]
    test: list[Recording]
    labels: tuple[str, ...]


def split(
    recordings: list[Recording], how: str, seed: int, validation_fraction: float, test_speaker: str | None = None
) -> AudioSplit:
    """Split recordings (see the module docstring); every class must appear in every split."""
    from sklearn.model_selection import train_test_split

    if how not in SPLITS:
        raise DataError(None, f"unknown split {how!r} (known: {', '.join(SPLITS)})")
    labels = label_names(recordings)
    if how == "customary":
        test = [r for r in recordings if r.index in CUSTOMARY_TEST_INDICES]
        rest = [r for r in recordings if r.index not in CUSTOMARY_TEST_INDICES]
    else:
        speakers = sorted({r.speaker for r in recordings})
        if test_speaker not in speakers:
            raise DataError(None, f"test speaker {test_speaker!r} has no recordings (speakers: {', '.join(speakers)})")
        test = [r for r in recordings if r.speaker == test_speaker]
        rest = [r for r in recordings if r.speaker != test_speaker]
    where = recordings[0].path.parent
    for name, part in (("test", test), ("training", rest)):
        counts = Counter(r.label for r in part)
        empty = [label for label in labels if counts[label] == 0]
        if empty:
            raise DataError(where, f"class {', '.join(map(repr, empty))} has no recordings in the {name} split ({how})")
    y_rest = [labels.index(r.label) for r in rest]
    train, val = train_test_split(rest, test_size=validation_fraction, stratify=y_rest, random_state=seed)
    return AudioSplit(sorted(train, key=_order), sorted(val, key=_order), sorted(test, key=_order), labels)


def _order(r: Recording) -> tuple:
    return (r.label, r.speaker, r.index)


def clips(recordings: list[Recording], sample_rate: int, length: int) -> np.ndarray:
    """(N, length) int16 clips of the recordings."""
    from edgenn.frontend.mfcc import fit_clip

    out = np.zeros((len(recordings), length), dtype=np.int16)
    for i, r in enumerate(recordings):
        out[i] = fit_clip(read_wav(r.path, sample_rate), length)
    return out


def targets(recordings: list[Recording], labels: tuple[str, ...]) -> np.ndarray:
    return np.array([labels.index(r.label) for r in recordings], dtype=np.int64)
