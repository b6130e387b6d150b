"""Load a recipe's dataset, split it (seeded, stratified), and persist what later steps need.

`edgenn train` writes `data.npz` into the build directory: the calibration samples, the
validation split and the test split. `convert` and `eval` read that file, so they never need
scikit-learn or the original data again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgenn.errors import BuildDirError, DataError
from edgenn.fileio import atomic_path
from edgenn.layout import DATA
from edgenn.recipe import DataSpec


@dataclass(frozen=True)
class Dataset:
    """Float features (N, *input_shape) and integer labels (N,) for each split."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    labels: tuple[str, ...]


def _load_digits() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    from sklearn.datasets import load_digits  # ships its data: no download

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]  # (N, 8, 8, 1) in [0, 1]
    return x, digits.target.astype(np.int64), tuple(str(n) for n in digits.target_names)


def load_npz_xy(path: str | Path) -> tuple[np.ndarray, np.ndarray, tuple[str, ...] | None]:
    """Read `x` (features) and `y` (integer labels) and optional `labels` from an .npz file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "data file not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if "x" not in npz or "y" not in npz:
                raise DataError(path, f"needs arrays 'x' and 'y', found {', '.join(npz.files) or 'none'}")
            x, y = npz["x"], npz["y"]
            labels = tuple(str(s) for s in npz["labels"]) if "labels" in npz else None
    except DataError:
        raise
    except Exception as exc:  # zipfile/pickle/format errors: the file is not a readable .npz
        raise DataError(path, f"not a readable .npz file ({type(exc).__name__}: {exc})") from None
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(path, f"'x' must be numeric, got {x.dtype}")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(path, f"'y' must be a 1-D integer array, got shape {y.shape} dtype {y.dtype}")
    if len(x) != len(y):
        raise DataError(path, f"'x' has {len(x)} samples but 'y' has {len(y)}")
    if len(y) and y.min() < 0:
        raise DataError(path, "'y' has negative labels")
    return x.astype(np.float32), y.astype(np.int64), labels


def load_npy(path: str | Path) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        return np.load(path, allow_pickle=False)
    except Exception as exc:
        raise DataError(path, f"not a readable .npy file ({type(exc).__name__}: {exc})") from None


def check_shape(path: str | Path | None, x: np.ndarray, input_shape: tuple[int, ...]) -> None:
    if tuple(x.shape[1:]) != tuple(input_shape):
        raise DataError(path, f"samples have shape {tuple(x.shape[1:])}, the model expects {tuple(input_shape)}")


def load_dataset(spec: DataSpec, input_shape: tuple[int, ...], recipe_dir: Path | None = None) -> Dataset:
    """Load and split a recipe's data: seeded and stratified, so every run sees the same split."""
    from sklearn.model_selection import train_test_split

    if spec.source == "digits":
        x, y, labels = _load_digits()
        where: Path | None = None
    else:
        where = Path(spec.path)
        if recipe_dir is not None and not where.is_absolute():
            where = recipe_dir / where
        x, y, found = load_npz_xy(where)
        labels = found or tuple(str(i) for i in range(int(y.max()) + 1))
    check_shape(where, x, input_shape)
    if int(y.max()) >= len(labels):
        raise DataError(where, f"label {int(y.max())} has no name among {len(labels)} labels")

    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=spec.test_fraction, stratify=y, random_state=spec.seed
    )
    val_share = spec.validation_fraction / (1.0 - spec.test_fraction)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_share, stratify=y_rest, random_state=spec.seed
    )
    return Dataset(x_train, y_train, x_val, y_val, x_test, y_test, labels)


def calibration_set(ds: Dataset, count: int, seed: int) -> np.ndarray:
    """Representative samples for quantization, drawn from the training split only."""
    rng = np.random.default_rng(seed)
    count = min(count, len(ds.x_train))
    return ds.x_train[rng.choice(len(ds.x_train), size=count, replace=False)]


def save_build_data(build_dir: Path, ds: Dataset, x_calib: np.ndarray) -> Path:
    dest = build_dir / DATA
    with atomic_path(dest) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                x_calib=x_calib,
                x_val=ds.x_val,
                y_val=ds.y_val,
                x_test=ds.x_test,
                y_test=ds.y_test,
                labels=np.array(ds.labels),
            )
    return dest


@dataclass(frozen=True)
class BuildData:
    x_calib: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    labels: tuple[str, ...]


def load_build_data(build_dir: Path) -> BuildData:
    path = Path(build_dir) / DATA
    if not path.is_file():
        raise BuildDirError(path, "missing: run 'edgenn train' first")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return BuildData(
                npz["x_calib"],
                npz["x_val"],
                npz["y_val"],
                npz["x_test"],
                npz["y_test"],
                tuple(str(s) for s in npz["labels"]),
            )
    except Exception as exc:
        raise BuildDirError(path, f"unreadable ({type(exc).__name__}: {exc})") from None
