"""The WAV folder loader: names, formats, splits, and one clear error for each bad input."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from edgenn.data import audio
from edgenn.errors import DataError

SPEAKERS = ("ann", "bob", "cid")


def _wav(path: Path, samples: np.ndarray, rate: int = 8000, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2" if width == 2 else np.uint8).tobytes())
    return path


def _folder(tmp_path: Path, labels=("0", "1", "2"), speakers=SPEAKERS, per=8) -> Path:
    rng = np.random.default_rng(0)
    for label in labels:
        for speaker in speakers:
            for index in range(per):
                n = int(rng.integers(100, 400))
                _wav(tmp_path / f"{label}_{speaker}_{index}.wav", rng.integers(-3000, 3000, n))
    return tmp_path


def test_scan_reads_the_fsdd_names_and_ignores_other_files(tmp_path):
    (tmp_path / "recordings").mkdir()
    folder = _folder(tmp_path / "recordings")
    (tmp_path / "README.md").write_text("about")
    (folder / "speakers.json").write_text("{}")
    found = audio.scan(tmp_path)  # the parent: recordings/ inside is used, as FSDD ships it
    assert len(found) == 3 * 3 * 8
    r = next(r for r in found if r.path.name == "2_bob_7.wav")
    assert (r.label, r.speaker, r.index) == ("2", "bob", 7)


def test_labels_sort_numerically_when_all_are_numbers(tmp_path):
    recs = [audio.Recording(tmp_path / "x.wav", label, "s", 0) for label in ("10", "2", "1")]
    assert audio.label_names(recs) == ("1", "2", "10")
    recs = [audio.Recording(tmp_path / "x.wav", label, "s", 0) for label in ("yes", "no", "2")]
    assert audio.label_names(recs) == ("2", "no", "yes")


def test_customary_split_tests_on_indices_0_to_4(tmp_path):
    recs = audio.scan(_folder(tmp_path))
    parts = audio.split(recs, "customary", seed=0, validation_fraction=0.2)
    assert {r.index for r in parts.test} == {0, 1, 2, 3, 4}
    assert all(r.index >= 5 for r in parts.train + parts.val)
    assert len(parts.test) == 3 * 3 * 5 and len(parts.train) + len(parts.val) == 3 * 3 * 3
    names = [r.path.name for r in parts.train + parts.val + parts.test]
    assert len(set(names)) == len(names) == len(recs)
    # Seeded: the same validation recordings every time.
    again = audio.split(recs, "customary", seed=0, validation_fraction=0.2)
    assert again.val == parts.val


def test_speaker_split_never_trains_on_the_test_speaker(tmp_path):
    recs = audio.scan(_folder(tmp_path))
    parts = audio.split(recs, "speaker", seed=0, validation_fraction=0.2, test_speaker="bob")
    assert {r.speaker for r in parts.test} == {"bob"} and len(parts.test) == 3 * 8
    assert "bob" not in {r.speaker for r in parts.train + parts.val}
    with pytest.raises(DataError, match="test speaker 'zed' has no recordings"):
        audio.split(recs, "speaker", seed=0, validation_fraction=0.2, test_speaker="zed")


def test_an_empty_class_is_named(tmp_path):
    folder = _folder(tmp_path)
    for f in folder.glob("1_*_[0-4].wav"):
        f.unlink()  # class "1" keeps training recordings only
    with pytest.raises(DataError, match="class '1' has no recordings in the test split"):
        audio.split(audio.scan(folder), "customary", seed=0, validation_fraction=0.2)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: _wav(p, np.zeros(100), rate=16000), "sample rate 16000 Hz, the frontend expects 8000 Hz"),
        (lambda p: _wav(p, np.zeros(200), channels=2), "2 channels, expected mono"),
        (lambda p: _wav(p, np.zeros(100), width=1), "8-bit samples, expected 16-bit PCM"),
        (lambda p: p.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk"), "not a readable WAV file"),
        (lambda p: p.write_text("not audio at all"), "not a readable WAV file"),
        (lambda p: _wav(p, np.zeros(0)), "no samples"),
    ],
)
def test_bad_recordings_name_the_file(tmp_path, make, message):
    path = tmp_path / "3_ann_0.wav"
    make(path)
    with pytest.raises(DataError) as err:
        audio.read_wav(path, 8000)
    assert message in err.value.line() and str(path) in err.value.line()


def test_bad_names_and_folders(tmp_path):
    with pytest.raises(DataError, match="data folder not found"):
        audio.scan(tmp_path / "absent")
    with pytest.raises(DataError, match="no .wav recordings found"):
        audio.scan(tmp_path)
    _wav(tmp_path / "hello.wav", np.zeros(10))
    with pytest.raises(DataError, match=r"hello.wav: name is not \{label\}_\{speaker\}_\{index\}.wav"):
        audio.scan(tmp_path)


def test_clips_are_cropped_or_padded_at_the_end(tmp_path):
    long = _wav(tmp_path / "0_a_0.wav", np.arange(1, 301))
    short = _wav(tmp_path / "1_a_0.wav", np.arange(1, 51))
    recs = [audio.Recording(long, "0", "a", 0), audio.Recording(short, "1", "a", 0)]
    clips = audio.clips(recs, 8000, 100)
    assert clips.dtype == np.int16 and clips.shape == (2, 100)
    np.testing.assert_array_equal(clips[0], np.arange(1, 101))
    np.testing.assert_array_equal(clips[1], np.concatenate([np.arange(1, 51), np.zeros(50)]))
