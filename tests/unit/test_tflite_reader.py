"""The flatbuffer reader against models nobody here wrote (TFLM's examples)."""

import numpy as np
import pytest

from edgenn.errors import ModelFileError
from edgenn.graph.tflite import parse_tflite, read_tflite


def test_hello_world_int8(tflm_examples):
    g = read_tflite(tflm_examples / "hello_world_int8.tflite")
    assert g.op_names == ("FULLY_CONNECTED",)
    i, o = g.input_tensor(), g.output_tensor()
    assert (i.shape, i.dtype, i.zero_point) == ((1, 1), "int8", (-128,))
    assert i.scale[0] == pytest.approx(0.024480115, rel=1e-6)
    assert (o.shape, o.dtype, o.zero_point) == ((1, 1), "int8", (5,))
    weights = [t for t in g.tensors if t.data is not None and t.dtype == "int8"]
    assert weights and all(t.data.shape == t.shape for t in weights)


def test_person_detect_is_per_channel(tflm_examples):
    g = read_tflite(tflm_examples / "person_detect.tflite")
    assert set(g.op_names) == {"DEPTHWISE_CONV_2D", "CONV_2D", "AVERAGE_POOL_2D", "RESHAPE", "SOFTMAX"}
    assert g.input_tensor().shape == (1, 96, 96, 1)
    conv = next(op for op in g.ops if op.name == "CONV_2D")
    w = g.tensors[conv.inputs[1]]
    assert len(w.scale) == w.shape[0] > 1  # one scale per output channel


def test_keyword_scrambled_has_svdf_and_int16(tflm_examples):
    g = read_tflite(tflm_examples / "keyword_scrambled_8bit.tflite")
    assert "SVDF" in g.op_names
    assert g.input_tensor().dtype == "int16"


def test_every_truncation_is_detected(tflm_examples):
    data = (tflm_examples / "micro_speech_quantized.tflite").read_bytes()
    cuts = sorted(set(np.linspace(0, len(data) - 1, 60, dtype=int).tolist()))
    for cut in cuts:
        with pytest.raises(ModelFileError):
            parse_tflite(data[:cut])


def test_not_a_tflite(tmp_path):
    p = tmp_path / "x.tflite"
    p.write_bytes(b"PK\x03\x04 this is a zip")
    with pytest.raises(ModelFileError, match="no 'TFL3'"):
        read_tflite(p)
    with pytest.raises(ModelFileError, match="not found"):
        read_tflite(tmp_path / "absent.tflite")
