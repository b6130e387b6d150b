import doctest

import pytest

from edgenn import cfmt
from edgenn.export import cgen


def test_doctests():
    assert doctest.testmod(cgen).failed == 0
    assert doctest.testmod(cfmt).failed == 0


@pytest.mark.parametrize(
    "name, ident",
    [
        ("digits_cnn", "digits_cnn"),
        ("person-detect", "person_detect"),
        ("9lives", "m_9lives"),
        ("int", "m_int"),
        ("", "model"),
        ("a  b..c", "a_b_c"),
    ],
)
def test_identifiers(name, ident):
    assert cgen.c_identifier(name) == ident


@pytest.mark.parametrize("value, text", [(1.0, "1.0f"), (0.1, "0.1f"), (1e-10, "1e-10f"), (-2.5, "-2.5f")])
def test_floats_are_float_literals(value, text):
    assert cgen.c_float(value) == text


def test_float32_scales_survive_the_round_trip():
    import numpy as np

    rng = np.random.default_rng(0)
    for value in rng.uniform(1e-6, 1.0, 1000).astype(np.float32):
        assert np.float32(float(cgen.c_float(float(value))[:-1])) == value


def test_byte_rows_cover_every_byte():
    data = bytes(range(256)) + b"\x00"
    rows = cgen.c_byte_rows(data, per_line=12)
    values = [int(tok, 16) for tok in rows.replace(",", " ").split()]
    assert bytes(values) == data
    assert len(rows.splitlines()) == -(-len(data) // 12)


def test_negative_ints_are_parenthesised():
    assert cgen.c_int(-128) == "(-128)"
    assert cgen.c_int(5) == "5"
