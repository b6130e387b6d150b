"""A Keras 3 LSTM classifier (16 steps of 13 features → LSTM(32) → Dense(10) softmax), converted to
full int8 (UNIDIRECTIONAL_SEQUENCE_LSTM, STRIDED_SLICE, FULLY_CONNECTED, SOFTMAX), through codegen:
the generated C is bit-exact with TFLM on the host and on the Cortex-M4, over a stream of inputs
whose LSTM state carries from one to the next as TFLM's variable tensors do.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.graph.tflite import parse_tflite
from tests.conftest import require_target_tools
from tests.kernels.harness import check_bit_exact, check_folder_on_target, probe_inputs, tflm_outputs
from tests.kernels.test_unidirectional_sequence_lstm import lstm_tflite

keras = pytest.importorskip("keras")

STEPS, FEATURES = 16, 13


@pytest.fixture(scope="module")
def lstm_model(tmp_path_factory) -> bytes:
    keras.utils.set_random_seed(7)
    x = keras.Input((STEPS, FEATURES))
    y = keras.layers.Dense(10, activation="softmax")(keras.layers.LSTM(32)(x))
    calib = np.random.default_rng(0).uniform(-1, 1, (64, STEPS, FEATURES)).astype(np.float32)
    return lstm_tflite(keras.Model(x, y), calib, tmp_path_factory.mktemp("saved"))


def test_the_converter_fuses_the_lstm(lstm_model):
    graph = parse_tflite(lstm_model)
    assert graph.op_names == ("UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "FULLY_CONNECTED", "SOFTMAX")
    assert graph.input_tensor().dtype == "int8" and graph.output_tensor().dtype == "int8"


@pytest.mark.parametrize("target", ["host", "cortex-m4"])
def test_generated_c_is_bit_exact_with_tflm(lstm_model, tmp_path, target):
    from edgenn.export.codegen import codegen

    if target != "host":
        require_target_tools(target)
    x = probe_inputs((1, STEPS, FEATURES), 16, seed=3)
    want = tflm_outputs(lstm_model, x)
    assert len({row.tobytes() for row in want}) > 4  # the classifier does not answer one thing only
    if target == "host":
        np.testing.assert_array_equal(check_bit_exact(lstm_model, inputs=x), want)
    model = tmp_path / "lstm.tflite"
    model.write_bytes(lstm_model)
    check_folder_on_target(codegen(model, tmp_path / "c", name="net"), x, want, target)
