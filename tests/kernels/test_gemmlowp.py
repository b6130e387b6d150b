"""The fixed-point helpers against values from gemmlowp's fixedpoint.h (compiled, int32 lanes).

Most of these differences would vanish after rounding to int8, so the kernel tests alone would
not notice a 1-ulp slip in Q0.31; the golden values pin them down.
"""

import math

import numpy as np
import pytest

from edgenn.reference import gemmlowp as gl

MAX, MIN = 2**31 - 1, -(2**31)

NEGATIVE = [0, -1, -(1 << 24), -(1 << 25) - 1, -(1 << 26), -(3 << 26), -(31 << 26) - 12345, MIN + 1, MIN]
ZERO_TO_ONE = [0, 1, 1 << 30, (1 << 30) + 7, MAX - 1, MAX]
ANY = [0, 1, -1, 1 << 27, -(1 << 27), 5 << 27, -(5 << 27), MAX, MIN + 1]

GOLDEN = {
    "exp_q5": (NEGATIVE, [MAX, 2147483124, 1672462419, 1302514356, 790015308, 106916946, 0, 0, 0]),
    "exp_q4": (NEGATIVE, [MAX, 2147483140, 1895147668, 1672461551, 1302515042, 479168506, 398, 242, 242]),
    # With 6 integer bits, values below -32 are clamped to 0.
    "exp_q6": (NEGATIVE, [MAX, 2147483093, 1302515042, 790014880, 290630390, 5323081, 0, 0, 0]),
    "one_over_one_plus_x": (ZERO_TO_ONE, [MAX, MAX, 1431655762, 1431655760, 1073741820, 1073741820]),
    "one_minus_x_over_one_plus_x": (ZERO_TO_ONE, [MAX, MAX, 715827876, 715827872, -8, -8]),
    "logistic_q4": (
        ANY,
        [1 << 30, 1073741948, 1073741699, 1569936226, 577547421, 2133110856, 14372791, 2147483406, 241],
    ),
    "tanh_q4": (ANY, [0, 260, -260, 1635510876, -1635510876, 2147288656, -2147288656, MAX, -MAX]),
}

FUNCTIONS = {
    "exp_q5": lambda a: gl.exp_on_negative_values(a, 5),
    "exp_q4": lambda a: gl.exp_on_negative_values(a, 4),
    "exp_q6": lambda a: gl.exp_on_negative_values(a, 6),
    "one_over_one_plus_x": gl.one_over_one_plus_x_for_x_in_0_1,
    "one_minus_x_over_one_plus_x": gl.one_minus_x_over_one_plus_x_for_x_in_0_1,
    "logistic_q4": lambda a: gl.logistic(a, 4),
    "tanh_q4": lambda a: gl.tanh(a, 4),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_matches_gemmlowp(name):
    inputs, want = GOLDEN[name]
    assert FUNCTIONS[name](np.array(inputs)).tolist() == want


def test_rounding_half_sum_rounds_ties_away_from_zero_without_overflow():
    a = np.array([1, -1, 3, -3, MAX, MIN, MAX])
    b = np.array([2, -2, 4, -4, MAX, MIN, MIN])
    assert gl.rounding_half_sum(a, b).tolist() == [2, -2, 4, -4, MAX, MIN, -1]


def test_rounding_divide_by_pot_rounds_ties_away_from_zero():
    x = np.array([5, -5, 6, -6, 7, -7, MAX, MIN])
    assert gl.rounding_divide_by_pot(x, 1).tolist() == [3, -3, 3, -3, 4, -4, 1 << 30, -(1 << 30)]
    assert gl.rounding_divide_by_pot(np.array([6, -6, 10, -10]), 2).tolist() == [2, -2, 3, -3]


def test_saturating_rounding_multiply_by_pot():
    x = np.array([(1 << 28) - 1, 1 << 28, -((1 << 28) - 1), -(1 << 28), MAX, MIN, 0])
    assert gl.saturating_rounding_multiply_by_pot(x, 3).tolist() == [
        (1 << 31) - 8,
        MAX,
        -(1 << 31) + 8,
        MIN,
        MAX,
        MIN,
        0,
    ]
    assert gl.saturating_rounding_multiply_by_pot(np.array([48, -48, 47]), -5).tolist() == [2, -2, 1]
    assert gl.rescale(np.array([MAX]), 0, 12).tolist() == [1 << 19]


def test_high_mul_saturates_only_min_times_min():
    a = np.array([MIN, MIN, MAX, 1 << 30, -(1 << 30)])
    b = np.array([MIN, MAX, MAX, 1 << 30, 1 << 30])
    assert gl.mul(a, b).tolist() == [MAX, MIN + 1, MAX - 1, 1 << 29, -(1 << 29)]


def test_int32_wraps():
    assert gl.add(MAX, 1).tolist() == MIN
    assert gl.sub(MIN, 1).tolist() == MAX
    assert gl.neg(MIN).tolist() == MIN


def test_count_leading_zeros_reads_int32_as_uint32():
    x = np.array([0, 1, 2, 3, 0xFFFF, 1 << 16, MAX, MIN, -1])
    assert gl.count_leading_zeros(x).tolist() == [32, 31, 30, 30, 16, 15, 1, 0, 0]


def test_get_reciprocal():
    # x = m * 2^bits with m in [1, 2): 1.0 = 1 * 2^0, 3 = 1.5 * 2^1, 10 = 1.25 * 2^3 (Q12.19 inputs).
    scale, bits = gl.get_reciprocal(np.array([1 << 19, 3 << 19, 10 << 19]), 12)
    assert bits.tolist() == [0, 1, 3]
    real = scale / 2.0**31 / 2.0**bits
    assert np.allclose(real, [1.0, 1 / 3, 1 / 10], rtol=1e-8)


def test_exp_and_friends_are_close_to_the_real_functions():
    a = np.linspace(-15.9, 15.9, 1001)
    raw = np.round(a * 2**27).astype(np.int64)  # Q4.27
    assert np.abs(gl.logistic(raw, 4) / 2**31 - 1 / (1 + np.exp(-a))).max() < 1e-7
    assert np.abs(gl.tanh(raw, 4) / 2**31 - np.tanh(a)).max() < 1e-7
    neg = raw[a <= 0]
    assert np.abs(gl.exp_on_negative_values(neg, 4) / 2**31 - np.exp(a[a <= 0])).max() < 3e-7


def test_prepare_time_helpers():
    assert gl.calculate_input_radius(5, 24) == math.floor(31 * 2**26 / 2**24)
    assert gl.calculate_input_radius(4, 27) == 15
    assert gl.calculate_input_radius(4, 40) == 0
    # beta * scale * 2^26 is capped at 2^31 - 1, which quantizes to itself with shift 31.
    assert gl.preprocess_softmax_scaling(1.0, 1000.0, 5) == (MAX, 31)
    assert gl.preprocess_softmax_scaling(1.0, 1 / 256, 5) == (1 << 30, 19)
    with pytest.raises(ValueError):
        gl.preprocess_softmax_scaling(1.0, 2.0**-27, 5)
    assert gl.frexp_multiplier(0.75 * 2**27) == (round(0.75 * 2**31), 27)
