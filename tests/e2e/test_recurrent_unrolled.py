"""Keras LSTM and GRU layers unrolled (unroll=True, batch 1), int8, through codegen: bit-exact with TFLM.

Unrolled, each time step is plain ops: UNPACK cuts the sequence into steps, FULLY_CONNECTED makes
the gates, SPLIT (and for the GRU, STRIDED_SLICE) separates them, LOGISTIC, TANH, MUL, ADD (and
SUB) combine them. The converter's quantizer now and then leaves an LSTM's first SPLIT float32
(one of its pieces, the forget gate times the zero initial state, is unused): a DEQUANTIZE, the
float32 SPLIT and three QUANTIZEs, which run too. The models are built as a recipe builds them
(edgenn/train/layers.py: Keras layers with unroll=True, traced at batch 1 by batch_one) and
converted by edgenn's converter.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from edgenn.convert.tflite import batch_one
from edgenn.graph.tflite import parse_tflite
from tests.kernels.harness import check_bit_exact, check_c_bit_exact, int8_tflite, probe_inputs

keras = pytest.importorskip("keras")

STEPS, FEATURES, UNITS = 8, 13, 16

# The ops each layer lowers to (with the head's FULLY_CONNECTED and the input's RESHAPE).
LOWERED = {
    "lstm": {"RESHAPE", "UNPACK", "FULLY_CONNECTED", "SPLIT", "LOGISTIC", "TANH", "MUL", "ADD"},
    "gru": {"RESHAPE", "UNPACK", "FULLY_CONNECTED", "SPLIT", "LOGISTIC", "TANH", "MUL", "ADD", "SUB", "STRIDED_SLICE"},
}


@cache
def recurrent_model(kind: str) -> bytes:
    keras.utils.set_random_seed(0)
    layer = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[kind](UNITS, unroll=True)
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), layer, keras.layers.Dense(4)])
    data = int8_tflite(batch_one(keras, model))
    names = set(parse_tflite(data).op_names)
    # DEQUANTIZE, QUANTIZE: around a float32 SPLIT in an LSTM's first step, some conversions
    assert LOWERED[kind] <= names <= LOWERED[kind] | {"QUANTIZE", "DEQUANTIZE"}, names
    return data


def samples(count: int) -> np.ndarray:
    return probe_inputs((1, STEPS, FEATURES), count, seed=1)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_reference_is_bit_exact(kind):
    check_bit_exact(recurrent_model(kind), samples(24))


@pytest.mark.parametrize("target", ["host", "cortex-m4"])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_c_is_bit_exact(kind, target, tmp_path):
    from tests.conftest import require_target_tools

    require_target_tools(target)
    check_c_bit_exact(recurrent_model(kind), tmp_path, samples(12), target=target)
