import numpy as np
import pytest

from edgenn.evaluate.metrics import accuracy, float_agreement, int8_agreement
from edgenn.graph.quant import QuantParams, dequantize, quantize


def test_quantize_rounds_half_to_even_and_saturates():
    q = QuantParams(scale=0.5, zero_point=-1)
    x = np.array([0.25, 0.75, -0.25, 100.0, -100.0, 0.0], dtype=np.float32)
    # 0.25/0.5 = 0.5 → 0 (even), 0.75/0.5 = 1.5 → 2, -0.5 → -0: then + zero point, clipped to int8.
    assert quantize(x, q).tolist() == [-1, 1, -1, 127, -128, -1]
    assert quantize(x, q).dtype == np.int8


def test_dequantize_inverts_quantize_on_the_grid():
    q = QuantParams(scale=0.125, zero_point=3)
    codes = np.arange(-128, 128, dtype=np.int8)
    assert np.array_equal(quantize(dequantize(codes, q), q), codes)


def test_int8_agreement_counts_lsb():
    ref = np.array([[10, -5, 0], [1, 2, 3]], dtype=np.int8)
    other = np.array([[10, -4, 0], [1, 2, 5]], dtype=np.int8)
    a = int8_agreement(ref, other)
    assert a == {"samples": 2, "top1_agreement": 1.0, "max_diff_lsb": 2, "mismatched_bytes": 2, "total_bytes": 6}


def test_int8_agreement_sees_saturated_extremes():
    ref = np.array([[-128, 127]], dtype=np.int8)
    other = np.array([[127, -128]], dtype=np.int8)
    a = int8_agreement(ref, other)
    assert a["max_diff_lsb"] == 255 and a["top1_agreement"] == 0.0


def test_int8_agreement_refuses_different_dtypes():
    # Compare dtype and shape before values: a float that happens to be equal must not pass.
    with pytest.raises(ValueError, match="differ in kind"):
        int8_agreement(np.zeros((1, 3), np.int8), np.zeros((1, 3), np.float32))


def test_accuracy_and_float_agreement():
    out = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(out, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    f = float_agreement(out, out + 1e-3)
    assert f["top1_agreement"] == 1.0 and f["max_abs_diff"] == pytest.approx(1e-3)
