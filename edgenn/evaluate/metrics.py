"""Accuracy and agreement between runners."""

from __future__ import annotations

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
    return {
        "samples": int(len(reference)),
        "top1_agreement": float(np.mean(np.argmax(reference, axis=1) == np.argmax(other, axis=1))),
        "max_abs_diff": float(diff.max(initial=0.0)),
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
