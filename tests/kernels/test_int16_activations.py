"""int16x8 LOGISTIC and TANH (TFLM's int16 lookup table with linear interpolation, the one the integer
LSTM uses too): the reference and the generated C against TFLM, on every int16 code, at power-of-two
input scales (the ones Prepare folds into the multiplier 3 << s) and at others (its doubling loop),
and on Keras models through the converter's int16x8 variant."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import UnsupportedError
from edgenn.graph.tflite import parse_tflite
from edgenn.reference import interpreter
from tests.kernels.harness import check_bit_exact, check_c_bit_exact
from tests.kernels.op_models import T, single_op_model

OPS = ("LOGISTIC", "TANH")
# 2^-12 and 2^-11: the power-of-two cases (LOGISTIC takes only the first); the others go through the
# doubling loop, down to one that ends it at the shift limit (31) and up to the largest accepted.
SCALES = (2.0**-12, 2.0**-11, 2.0**-15, 2.0**-3, 0.001, 3.7e-4, 1e-9, 2.6)
EVERY_CODE = np.arange(-(2**15), 2**15, dtype=np.int16).reshape(16, 1, 4096)


def by_hand(op: str, scale: float, out_scale: float = 2.0**-15, zero_point: int = 0, shape=(1, 4096)) -> bytes:
    return single_op_model(op, [T(shape, "int16", scale, zero_point)], T(shape, "int16", out_scale))


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("scale", SCALES)
def test_every_code(op, scale):
    check_bit_exact(by_hand(op, scale), EVERY_CODE)


def prepare(data: bytes) -> None:
    interpreter.prepare(parse_tflite(data))


@pytest.mark.parametrize("op", OPS)
def test_refusals(op):
    with pytest.raises(UnsupportedError, match="zero point 3"):
        prepare(by_hand(op, 0.001, zero_point=3))
    with pytest.raises(UnsupportedError, match="is not 2\\^-15"):
        prepare(by_hand(op, 0.001, out_scale=2.0**-14))
    with pytest.raises(UnsupportedError, match="above the largest"):
        prepare(by_hand(op, 3.0))


@pytest.mark.parametrize("target", ["host", "cortex-m4", "cortex-m0plus"])
def test_c(target, tmp_path):
    from tests.conftest import require_target_tools, require_tool

    require_tool("gcc") if target == "host" else require_target_tools(target)
    scales = SCALES if target == "host" else (2.0**-11, 3.7e-4)
    for op in OPS:
        for i, scale in enumerate(scales):
            check_c_bit_exact(by_hand(op, scale), tmp_path / f"{op}{i}", EVERY_CODE, target=target)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_keras_dense_then_activation(activation, tmp_path):
    keras = pytest.importorskip("keras")
    from tests.conftest import require_tool
    from tests.kernels.test_int16x8 import codes, int16x8_tflite, layer_model

    model = layer_model((12,), keras.layers.Dense(9), keras.layers.Activation(activation))
    data = int16x8_tflite(model, low=-3.0, high=3.0)
    name = {"sigmoid": "LOGISTIC", "tanh": "TANH"}[activation]
    assert name in parse_tflite(data).op_names
    x = codes((1, 12), 32, spread=8000)
    check_bit_exact(data, x)
    require_tool("gcc")
    check_c_bit_exact(data, tmp_path, x)
