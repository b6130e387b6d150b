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
from edgenn.layout import DATA, BuildDir
from edgenn.recipe import DataSpec, FrontendSpec


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
    # Audio only: the test split's int16 clips and file names, for checking a device frontend end to end.
    clips_test: np.ndarray | None = None
    files_test: tuple[str, ...] | None = None


def _load_digits() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    from sklearn.datasets import load_digits  # ships its data: no download

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]  # (N, 8, 8, 1) in [0, 1]
    return x, digits.target.astype(np.int64), tuple(str(n) for n in digits.target_names)


def _sine(seed: int, count: int = 1000) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """y = sin(x) + noise for x uniform in [0, 2π): the TFLM hello-world task, generated here (no download)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0 * np.pi, size=(count, 1)).astype(np.float32)
    y = (np.sin(x[:, 0]) + rng.normal(0.0, 0.05, size=count)).astype(np.float32)
    return x, y, ()


def load_npz_xy(
    path: str | Path, task: str = "classification"
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...] | None]:
    """Read `x` (features), `y` (integer labels; float targets for regression) and optional `labels`.

    For anomaly detection `y` is optional: label 0 is normal, any other label anomalous, and without
    `y` every sample is taken as normal (y is then None).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "data file not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if "x" not in npz or ("y" not in npz and task != "anomaly"):
                raise DataError(path, f"needs arrays 'x' and 'y', found {', '.join(npz.files) or 'none'}")
            x, y = npz["x"], (npz["y"] if "y" in npz else None)
            labels = tuple(str(s) for s in npz["labels"]) if "labels" in npz else None
    except DataError:
        raise
    except Exception as exc:  # zipfile/pickle/format errors: the file is not a readable .npz
        raise DataError(path, f"not a readable .npz file ({type(exc).__name__}: {exc})") from None
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(path, f"'x' must be numeric, got {x.dtype}")
    if len(x) == 0:
        raise DataError(path, "'x' holds no samples")
    _finite(path, "x", x)
    if y is None:
        return x.astype(np.float32), None, labels
    if len(x) != len(y):
        raise DataError(path, f"'x' has {len(x)} samples but 'y' has {len(y)}")
    if task == "regression":
        if not np.issubdtype(y.dtype, np.number):
            raise DataError(path, f"'y' must be numeric targets, got {y.dtype}")
        _finite(path, "y", y)
        return x.astype(np.float32), y.astype(np.float32), labels
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(path, f"'y' must be a 1-D integer array, got shape {y.shape} dtype {y.dtype}")
    if len(y) and y.min() < 0:
        raise DataError(path, "'y' has negative labels")
    if task == "anomaly" and len(set(np.unique(y) == 0)) < 2:
        raise DataError(
            path,
            "'y' needs normal (0) and anomalous (non-zero) samples for ROC AUC; leave 'y' out "
            "to score the reconstruction error of normal samples alone",
        )
    return x.astype(np.float32), y.astype(np.int64), labels


def _finite(path: Path, key: str, a: np.ndarray) -> None:
    """Refuse NaN and infinity (also what float32 cannot hold): no model input or target is either."""
    if np.issubdtype(a.dtype, np.floating):
        bad = ~np.isfinite(a.astype(np.float32))
        if bad.any():
            sample = int(np.argwhere(bad.reshape(len(a), -1).any(axis=1))[0][0])
            raise DataError(path, f"'{key}' holds NaN or infinite values (first in sample {sample})")


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


def data_path(spec: DataSpec, recipe_dir: Path | None) -> Path:
    where = Path(spec.path)
    return recipe_dir / where if recipe_dir is not None and not where.is_absolute() else where


def load_audio(spec: DataSpec, frontend: FrontendSpec, recipe_dir: Path | None = None, split: str | None = None):
    """A WAV folder's split (spec.split unless `split` is given) as frontend features."""
    from edgenn.console import progress
    from edgenn.data import audio
    from edgenn.frontend.mfcc import MfccFrontend

    recordings = audio.scan(data_path(spec, recipe_dir))
    parts = audio.split(recordings, split or spec.split, spec.seed, spec.validation_fraction, spec.test_speaker)
    mfcc = MfccFrontend(frontend)
    arrays = {}
    with progress() as bar:
        task = bar.add_task("features", total=len(recordings), info="")
        for name in ("train", "val", "test"):
            chosen = getattr(parts, name)
            bar.update(task, info=f"{name}: {len(chosen)} recordings")
            arrays[f"clips_{name}"] = audio.clips(chosen, frontend.sample_rate, frontend.clip_samples)
            arrays[f"x_{name}"] = mfcc.batch(arrays[f"clips_{name}"], progress=lambda done, total: bar.advance(task))
            arrays[f"y_{name}"] = audio.targets(chosen, parts.labels)
    return Dataset(
        arrays["x_train"],
        arrays["y_train"],
        arrays["x_val"],
        arrays["y_val"],
        arrays["x_test"],
        arrays["y_test"],
        parts.labels,
        clips_test=arrays["clips_test"],
        files_test=tuple(r.path.name for r in parts.test),
    )


def as_sequence(ds: Dataset, shape: tuple[int, ...]) -> Dataset:
    """The dataset with (frames, coefficients, 1) features as (frames, coefficients): the same bytes."""
    import dataclasses

    return dataclasses.replace(ds, **{k: getattr(ds, k).reshape(-1, *shape) for k in ("x_train", "x_val", "x_test")})


def load_dataset(
    spec: DataSpec,
    input_shape: tuple[int, ...],
    recipe_dir: Path | None = None,
    frontend: FrontendSpec | None = None,
    task: str = "classification",
) -> Dataset:
    """Load and split a recipe's data: seeded (and stratified by label except for regression)."""
    from sklearn.model_selection import train_test_split

    if spec.source == "wav":
        if frontend is None or frontend.kind == "none":
            raise DataError(None, "a wav data source needs the recipe's audio [frontend]")
        ds = load_audio(spec, frontend, recipe_dir)
        if tuple(input_shape) == frontend.feature_shape[:2]:  # the frames as a sequence of feature vectors
            ds = as_sequence(ds, tuple(input_shape))
        check_shape(data_path(spec, recipe_dir), ds.x_train, input_shape)
        return ds
    where: Path | None = None
    if spec.source == "digits":
        x, y, labels = _load_digits()
    elif spec.source == "sine":
        x, y, labels = _sine(spec.seed)
    else:
        where = data_path(spec, recipe_dir)
        x, y, found = load_npz_xy(where, task)
        labels = found or (() if task == "regression" else tuple(str(i) for i in range(int(y.max()) + 1)))
    check_shape(where, x, input_shape)
    if task != "regression" and int(y.max()) >= len(labels):
        raise DataError(where, f"label {int(y.max())} has no name among {len(labels)} labels")
    if task == "anomaly" and not (np.any(y == 0) and np.any(y != 0)):
        raise DataError(where, "anomaly detection needs normal samples (label 0) and anomalous ones (other labels)")

    def strata(labels_):
        return None if task == "regression" else labels_

    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=spec.test_fraction, stratify=strata(y), random_state=spec.seed
    )
    val_share = spec.validation_fraction / (1.0 - spec.test_fraction)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_share, stratify=strata(y_rest), random_state=spec.seed
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
                **(
                    {"clips_test": ds.clips_test, "files_test": np.array(ds.files_test)}
                    if ds.clips_test is not None
                    else {}
                ),
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
    clips_test: np.ndarray | None = None
    files_test: tuple[str, ...] | None = None


def load_build_data(build_dir: Path) -> BuildData:
    path = Path(build_dir) / DATA
    if not path.is_file():
        raise BuildDir(build_dir).missing(DATA)
    try:
        with np.load(path, allow_pickle=False) as npz:
            found = BuildData(
                npz["x_calib"],
                npz["x_val"],
                npz["y_val"],
                npz["x_test"],
                npz["y_test"],
                tuple(str(s) for s in npz["labels"]),
                npz["clips_test"] if "clips_test" in npz else None,
                tuple(str(s) for s in npz["files_test"]) if "files_test" in npz else None,
            )
    except Exception as exc:
        raise BuildDirError(path, f"unreadable ({type(exc).__name__}: {exc})") from None
    for name in ("x_calib", "x_val", "x_test", "y_val", "y_test"):
        a = getattr(found, name)
        if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)) or a.ndim < 1:
            raise BuildDirError(path, f"'{name}' is {a.dtype} of shape {a.shape}: not as 'edgenn train' writes it")
    for x, y in (("x_val", "y_val"), ("x_test", "y_test")):
        if len(getattr(found, x)) != len(getattr(found, y)) or not len(getattr(found, x)):
            raise BuildDirError(path, f"'{x}' and '{y}' differ in length or are empty")
    return found


def load_recipe_data(recipe) -> Dataset:
    """The recipe's dataset, with paths relative to the recipe file and its audio frontend applied."""
    return load_dataset(recipe.data, recipe.model.input_shape, recipe.path.parent, recipe.frontend, recipe.model.task)
