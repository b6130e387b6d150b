"""Task metrics, per-class recall, and how close one set of outputs is to another."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(outputs, axis=1) == labels))


def int8_agreement(reference: np.ndarray, other: np.ndarray) -> dict:
    """How far `other`'s integer outputs stray from `reference`'s, in LSB (quantization steps)."""
    if reference.shape != other.shape or reference.dtype != other.dtype:
        raise ValueError(f"outputs differ in kind: {reference.shape} {reference.dtype} vs {other.shape} {other.dtype}")
    diff = np.abs(reference.astype(np.int32) - other.astype(np.int32))
    return {
        "samples": int(len(reference)),
        "top1_agreement": float(np.mean(np.argmax(reference, axis=1) == np.argmax(other, axis=1))),
        "max_diff_lsb": int(diff.max(initial=0)),
        "mismatched_bytes": int(np.count_nonzero(diff)),
        "total_bytes": int(diff.size),
    }


def float_agreement(reference: np.ndarray, other: np.ndarray) -> dict:
    diff = np.abs(reference.astype(np.float64) - other.astype(np.float64))
    largest = float(diff.max(initial=0.0))
    return {
        "samples": int(len(reference)),
        "top1_agreement": float(np.mean(np.argmax(reference, axis=1) == np.argmax(other, axis=1))),
        "max_abs_diff": largest if np.isfinite(largest) else None,  # None: a model's outputs were not finite
    }


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    definition: str


METRICS = {
    "classification": Metric("accuracy", True, "top-1 accuracy"),
    "regression": Metric("mae", False, "mean absolute error of the (dequantized) outputs"),
    "anomaly": Metric(
        "auc",
        True,
        "ROC AUC of the anomaly score (mean squared reconstruction error per sample); label 0 is normal",
    ),
    # Anomaly data without labels: every sample is normal, so the error itself is the figure.
    "reconstruction": Metric("mse", False, "mean squared reconstruction error over samples that are all normal"),
}


def mae(outputs: np.ndarray, targets: np.ndarray) -> float:
    return float(np.mean(np.abs(outputs.reshape(len(outputs), -1) - targets.reshape(len(targets), -1))))


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a random negative (ties
    count half). The Mann-Whitney statistic over ranks, so that evaluation needs no scikit-learn."""
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC AUC needs both normal and anomalous samples")
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    # Average ranks over ties.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    for s, e in zip(starts, ends, strict=True):
        ranks[order[s:e]] = (s + e + 1) / 2.0
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def reconstruction_error(outputs: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    diff = outputs.reshape(len(outputs), -1).astype(np.float64) - inputs.reshape(len(inputs), -1)
    return np.mean(diff * diff, axis=1)


def score(task: str, outputs: np.ndarray, y: np.ndarray, x: np.ndarray) -> float:
    """The task's metric (METRICS) of float outputs; classification also takes integer codes (argmax)."""
    if task == "classification":
        return accuracy(outputs, y)
    if task == "regression":
        return mae(outputs, y)
    if task == "reconstruction":
        return float(np.mean(reconstruction_error(outputs, x)))
    return roc_auc(reconstruction_error(outputs, x), y != 0)


def class_recall(outputs: np.ndarray, labels: np.ndarray, classes: int) -> list[float | None]:
    """The recall of each class 0 … classes − 1: the share of its samples predicted as it.

    A class with no sample in `labels` has no recall: None (null in the report), not 0, which would
    read as a class the model always misses.
    """
    predicted = np.argmax(np.asarray(outputs).reshape(len(outputs), -1), axis=1)
    labels = np.asarray(labels)
    recall: list[float | None] = []
    for c in range(classes):
        of_class = labels == c
        recall.append(float(np.mean(predicted[of_class] == c)) if of_class.any() else None)
    return recall


# What each figure of `closeness` and `max_lsb` means; the report and validate.json carry it.
CLOSENESS_DEFINITIONS = {
    "values": "a (compared) against b (reference), dequantized to floats; every value of every sample "
    "counts as one element of one long vector per side",
    "rmse": "root mean squared error sqrt(mean((a - b)^2))",
    "mae": "mean absolute error mean(|a - b|)",
    "l2r": "relative L2 error ||a - b||_2 / ||b||_2; 0 when both are all zeros, 1 when only b is",
    "cos": "cosine similarity a.b / (||a||_2 ||b||_2) over the whole set (not per sample, so that a "
    "single-output model is measured too), in [-1, 1]; 1 when both are all zeros, 0 when only one is",
    "nse": "Nash-Sutcliffe efficiency 1 - sum((a - b)^2) / sum((b - mean(b))^2): 1 is a perfect match, "
    "0 no better than b's mean; when b is constant, 1 if a equals it and 0 otherwise",
    "max_lsb": "largest |a - b| in integer codes (quantization steps) when both are integer outputs "
    "with the same scale and zero point; null otherwise",
    "null": "every figure but max_lsb is null when a value compared is not finite (NaN or infinity)",
}


@dataclass
class Closeness:
    """Running sums of `a` (compared) against `b` (reference), batch by batch.

    Every value of every sample is one element of a long vector, so the figures of several `add`
    calls equal those of one call on everything: a caller can stream samples (layer activations of
    many samples) without holding them all. Sums are in float64.
    """

    count: int = 0
    sq_err: float = 0.0  # sum((a - b)^2)
    abs_err: float = 0.0  # sum(|a - b|)
    dot: float = 0.0  # sum(a * b)
    sq_a: float = 0.0  # sum(a^2)
    sq_b: float = 0.0  # sum(b^2)
    mean_b: float = 0.0
    # sum((b - mean(b))^2), merged batch by batch (Chan et al.): exactly 0 for a constant b, where
    # sum(b^2) - n mean(b)^2 would leave rounding noise that makes NSE arbitrarily negative.
    m2_b: float = 0.0

    def add(self, a: np.ndarray, b: np.ndarray) -> Closeness:
        a = np.asarray(a, dtype=np.float64).reshape(-1)
        b = np.asarray(b, dtype=np.float64).reshape(-1)
        if a.size != b.size:
            raise ValueError(f"{a.size} values compared with {b.size}")
        n = b.size
        if n == 0:
            return self
        diff = a - b
        with np.errstate(over="ignore", invalid="ignore"):
            self.sq_err += float(np.dot(diff, diff))
            self.abs_err += float(np.sum(np.abs(diff)))
            self.dot += float(np.dot(a, b))
            self.sq_a += float(np.dot(a, a))
            self.sq_b += float(np.dot(b, b))
            # Shifted by the batch's first value, so that a constant batch gives exactly 0.
            shifted = b - b[0]
            shift_mean = float(np.mean(shifted))
            m2 = float(np.dot(shifted - shift_mean, shifted - shift_mean))
            mean = float(b[0]) + shift_mean
            if self.count == 0:
                self.mean_b, self.m2_b = mean, m2
            else:
                total = self.count + n
                delta = mean - self.mean_b
                self.mean_b += delta * n / total
                self.m2_b += m2 + delta * delta * self.count * n / total
        self.count += n
        return self

    def rmse(self) -> float:
        return math.sqrt(self.sq_err / self.count) if self.count else 0.0

    def mae(self) -> float:
        return self.abs_err / self.count if self.count else 0.0

    def l2r(self) -> float:
        if self.sq_b == 0.0:
            return 0.0 if self.sq_err == 0.0 else 1.0
        return math.sqrt(self.sq_err) / math.sqrt(self.sq_b)

    def cos(self) -> float:
        if self.sq_a == 0.0 and self.sq_b == 0.0:
            return 1.0
        if self.sq_a == 0.0 or self.sq_b == 0.0:
            return 0.0
        ratio = self.dot / (math.sqrt(self.sq_a) * math.sqrt(self.sq_b))
        # Rounding can carry a parallel pair a hair past 1; NaN passes through (min and max would hide it).
        return min(1.0, max(-1.0, ratio)) if math.isfinite(ratio) else ratio

    def nse(self) -> float:
        if self.m2_b == 0.0:
            return 1.0 if self.sq_err == 0.0 else 0.0
        return 1.0 - self.sq_err / self.m2_b

    def as_dict(self) -> dict[str, float | None]:
        """rmse, mae, l2r, cos and nse (CLOSENESS_DEFINITIONS); all None when a value was not finite.

        A NaN or infinity among the values makes every figure meaningless, even one that a degenerate
        case's rule would define (an all-zero reference), so none is given.
        """
        figures = {"rmse": self.rmse, "mae": self.mae, "l2r": self.l2r, "cos": self.cos, "nse": self.nse}
        sums = (self.sq_err, self.abs_err, self.dot, self.sq_a, self.sq_b, self.mean_b, self.m2_b)
        if not all(math.isfinite(v) for v in sums):
            return dict.fromkeys(figures)
        out: dict[str, float | None] = {}
        for key, figure in figures.items():
            with np.errstate(all="ignore"):
                try:
                    value = float(figure())
                except (OverflowError, ZeroDivisionError, ValueError):
                    value = math.nan
            out[key] = value if math.isfinite(value) else None
        return out


def closeness(a: np.ndarray, b: np.ndarray) -> dict[str, float | None]:
    """rmse, mae, l2r, cos and nse of `a` against the reference `b` (CLOSENESS_DEFINITIONS)."""
    return Closeness().add(a, b).as_dict()


def max_lsb(a: np.ndarray, b: np.ndarray) -> int | None:
    """The largest difference between two integer outputs in codes; None unless both are integers of one type."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or not np.issubdtype(a.dtype, np.integer) or a.size != b.size:
        return None
    diff = np.abs(a.reshape(-1).astype(np.int64) - b.reshape(-1).astype(np.int64))
    return int(diff.max(initial=0))


def lowest_recall(recall: list[float | None] | None, labels: list[str]) -> tuple[float, str] | None:
    """The lowest recall of any class present in the data, and the class's label (None when none is)."""
    present = [(r, label) for r, label in zip(recall or [], labels, strict=False) if r is not None]
    return min(present) if present else None
