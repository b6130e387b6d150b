"""Keyword spotting on FSDD through the whole pipeline: `edgenn run models/kws_dscnn.toml --data …`.

The acceptance figures are read from the report.json the command wrote.
"""

from __future__ import annotations

import json

from tests.conftest import KWS_RECIPE as RECIPE
from tests.conftest import run_cli


def test_int8_accuracy_on_the_customary_split(kws_build):
    report = json.loads((kws_build / "report.json").read_text())
    assert report["data"]["samples"] == 300  # index 0-4 of 10 digits x 6 speakers
    tflm = next(v for v in report["variants"] if v["name"] == "tflite_int8_tflm")
    assert tflm["accuracy"] >= 0.95, tflm
    c = next(v for v in report["variants"] if v["name"] == "c_int8")
    assert c["accuracy"] == tflm["accuracy"]  # the generated C is bit-exact with TFLM
    assert report["agreement"]["int8"]["c_int8"]["mismatched_bytes"] == 0


def test_speaker_held_out_figure_is_reported_beside_it(kws_build):
    report = json.loads((kws_build / "report.json").read_text())
    held = report["speaker_held_out"]
    assert held["test_speaker"] == "theo" and held["samples"] == 500 and held["runner"] == "tflm"
    assert 0.0 < held["int8_accuracy"] <= 1.0 and set(held["per_class_int8_accuracy"]) == set("0123456789")
    md = (kws_build / "report.md").read_text()
    assert f"int8 {100 * held['int8_accuracy']:.2f}% (tflm)" in md


def test_build_keeps_the_test_clips_for_device_checks(kws_build):
    from edgenn.data.splits import load_build_data

    data = load_build_data(kws_build)
    assert data.clips_test.shape == (300, 8192) and data.clips_test.dtype.name == "int16"
    assert len(data.files_test) == 300 and all(int(f.split("_")[2][:-4]) < 5 for f in data.files_test)
    assert data.x_test.shape == (300, 63, 13, 1)


def test_bad_wav_data_is_one_line(tmp_path):
    import wave

    import numpy as np

    bad = tmp_path / "recordings"
    bad.mkdir()
    for index in range(15):
        with wave.open(str(bad / f"0_ann_{index}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(np.zeros(800, "<i2").tobytes())
    (bad / "0_ann_7.wav").write_bytes(b"RIFF....WAVEfmt nonsense")
    proc = run_cli("train", str(RECIPE), "--data", str(tmp_path), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(f"edgenn: error: {bad / '0_ann_7.wav'}: not a readable WAV file")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "model.keras").exists()


def test_footprint_counts_the_frontend_the_device_needs(kws_build):
    from tests.conftest import require_tool

    require_tool("arm-none-eabi-gcc")  # `edgenn run` links the frontend only with a Cortex-M toolchain
    report = json.loads((kws_build / "report.json").read_text())
    foot = report["footprint"]
    parts = foot["parts"]
    together = ("model", "frontend", "cmsis_dsp", "libm")
    assert (
        foot["flash_bytes"] == sum(parts[p]["flash_bytes"] for p in together) == parts["model+frontend"]["flash_bytes"]
    )
    assert foot["ram_bytes"] == sum(parts[p]["ram_bytes"] for p in together)
    assert parts["frontend"]["flash_bytes"] > 0 and parts["cmsis_dsp"]["flash_bytes"] > 0
    assert "audio frontend" in foot["definitions"]["flash_bytes"]
    assert "| cmsis_dsp |" in (kws_build / "report.md").read_text()
