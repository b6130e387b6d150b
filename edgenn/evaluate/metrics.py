"""Accuracy and agreement between runners."""

from __future__ import annotations

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
