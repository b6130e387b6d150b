"""The TFLite variants table: each variant's settings show up in the converted model, and the
calibration samples reach only the variants that quantize activations."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.convert.tflite import VARIANTS, keras_converter, to_tflite
from edgenn.errors import EdgeNNError
from edgenn.graph.tflite import parse_tflite

SHAPE = (6, 6, 2)


def _refuse():
    raise AssertionError("the converter was built before the arguments were checked")


def test_a_calibrated_variant_without_samples_is_refused_before_any_conversion():
    for name, variant in VARIANTS.items():
        if variant.calibrated:
            for calib in (None, np.zeros((0, *SHAPE), np.float32)):
                with pytest.raises(EdgeNNError, match=f"variant {name} needs calibration samples"):
                    to_tflite(_refuse, name, calib)


def test_an_unknown_variant_is_refused():
    with pytest.raises(EdgeNNError, match="unknown TFLite variant 'int4'; known: float32, float16"):
        to_tflite(_refuse, "int4")


@pytest.fixture(scope="module")
def model():
    pytest.importorskip("tensorflow")
    from edgenn.tfimport import tensorflow

    tensorflow()  # before keras: it fixes the environment TensorFlow reads at import
    import keras

    keras.utils.set_random_seed(0)
    x = keras.Input(batch_shape=(1, *SHAPE))
    y = keras.layers.Conv2D(16, 3, activation="relu")(x)
    y = keras.layers.Flatten()(y)
    # 2048 weights: the converter leaves smaller tensors float in dynamic-range quantization.
    return keras.Model(x, keras.layers.Dense(8)(y))


@pytest.fixture(scope="module")
def calib():
    return np.random.default_rng(0).uniform(-1.0, 1.0, (16, *SHAPE)).astype(np.float32)


@pytest.fixture(scope="module")
def converted(model, calib):
    return {name: parse_tflite(to_tflite(keras_converter(model), name, calib)) for name in VARIANTS}


def _io(graph) -> tuple[str, str]:
    return graph.input_tensor().dtype, graph.output_tensor().dtype


def _conv_weights(graph):
    conv = next(op for op in graph.ops if op.name == "CONV_2D")
    return graph.tensors[conv.inputs[1]]


def test_float_variants_keep_float_io_and_activations(converted):
    for name in ("float32", "float16", "dynamic_int8"):
        assert _io(converted[name]) == ("float32", "float32"), name
    assert _conv_weights(converted["float32"]).dtype == "float32"
    assert any(t.dtype == "float16" and t.data is not None for t in converted["float16"].tensors)
    assert any(t.dtype == "int8" and t.data is not None for t in converted["dynamic_int8"].tensors)


def test_integer_variants_quantize_io_and_weights_as_named(converted):
    assert _io(converted["int8_per_channel"]) == ("int8", "int8")
    assert _io(converted["int8_per_tensor"]) == ("int8", "int8")
    assert _io(converted["int16x8"]) == ("int16", "int16")
    assert len(_conv_weights(converted["int8_per_channel"]).scale) == 16
    assert len(_conv_weights(converted["int8_per_tensor"]).scale) == 1
    assert _conv_weights(converted["int16x8"]).dtype == "int8"


def test_uncalibrated_variants_ignore_samples(model, calib):
    # A representative dataset would turn them into integer quantization with float fallback.
    for name, variant in VARIANTS.items():
        if not variant.calibrated:
            with_samples = to_tflite(keras_converter(model), name, calib)
            assert with_samples == to_tflite(keras_converter(model), name), name


def test_a_variation_of_a_table_entry_converts_like_it(model, calib):
    from dataclasses import replace

    same = replace(VARIANTS["int8_per_channel"])
    want = to_tflite(keras_converter(model), "int8_per_channel", calib)
    assert to_tflite(keras_converter(model), same, calib) == want
    float_in = replace(VARIANTS["int8_per_channel"], input_type="float32")
    assert _io(parse_tflite(to_tflite(keras_converter(model), float_in, calib))) == ("float32", "int8")
