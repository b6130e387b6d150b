"""Data files given with --data are checked before use: NaN and infinity are refused with one line."""

import numpy as np
import pytest

from edgenn.data.splits import load_npz_xy
from edgenn.errors import DataError


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e300])  # 1e300 does not fit in float32
def test_non_finite_inputs_are_refused_naming_the_sample(tmp_path, bad):
    x = np.zeros((5, 4), dtype=np.float64)
    x[3, 2] = bad
    np.savez(tmp_path / "d.npz", x=x, y=np.zeros(5, dtype=np.int64))
    with pytest.raises(DataError, match=r"'x' holds NaN or infinite values \(first in sample 3\)"):
        load_npz_xy(tmp_path / "d.npz", "classification")


def test_non_finite_regression_targets_are_refused(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((3, 1), np.float32), y=np.array([0.0, np.nan, 1.0]))
    with pytest.raises(DataError, match="'y' holds NaN"):
        load_npz_xy(tmp_path / "d.npz", "regression")


def test_finite_data_passes(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.full((3, 2), 3e38, np.float64), y=np.array([0, 1, 2]))
    x, y, labels = load_npz_xy(tmp_path / "d.npz", "classification")
    assert x.dtype == np.float32 and np.isfinite(x).all() and list(y) == [0, 1, 2] and labels is None
