"""Task metrics (ROC AUC, written here so evaluation needs no scikit-learn, against scikit-learn's), per-class
recall, and the closeness of one set of outputs to another."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgenn.evaluate import metrics
from edgenn.recipe import ARCHITECTURE_OPTIONS, TASKS


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_matches_scikit_learn(seed):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 300).astype(bool)
    scores = rng.normal(size=300) + labels * rng.uniform(0, 2)
    scores[:40] = np.round(scores[:40])  # ties, which count half
    assert metrics.roc_auc(scores, labels) == pytest.approx(sklearn_metrics.roc_auc_score(labels, scores), abs=1e-12)


def test_roc_auc_extremes_and_refusal():
    assert metrics.roc_auc(np.array([0.1, 0.2, 0.9, 1.0]), np.array([0, 0, 1, 1])) == 1.0
    assert metrics.roc_auc(np.array([0.9, 1.0, 0.1, 0.2]), np.array([0, 0, 1, 1])) == 0.0
    assert metrics.roc_auc(np.ones(4), np.array([0, 1, 0, 1])) == 0.5
    with pytest.raises(ValueError, match="both normal and anomalous"):
        metrics.roc_auc(np.ones(3), np.zeros(3))


def test_scores_by_task():
    x = np.zeros((4, 3), np.float32)
    recon = np.array([[0, 0, 0], [0, 0, 0.1], [1, 1, 1], [0, 2, 0]], np.float32)
    assert metrics.score("anomaly", recon, np.array([0, 0, 1, 1]), x) == 1.0
    assert metrics.score("regression", np.array([[1.0], [2.0]]), np.array([1.5, 2.0]), None) == pytest.approx(0.25)
    assert metrics.score("classification", np.eye(3), np.array([0, 1, 1]), None) == pytest.approx(2 / 3)
    # anomaly data without labels: the mean per-sample squared reconstruction error
    assert metrics.score("reconstruction", recon, None, x) == pytest.approx((0.01 / 3 + 1 + 4 / 3) / 4)
    assert set(metrics.METRICS) == {*TASKS, "reconstruction"}


def test_every_architecture_has_a_builder():
    pytest.importorskip("keras")
    from edgenn.train.architectures import ARCHITECTURES

    assert set(ARCHITECTURES) == set(ARCHITECTURE_OPTIONS)


def test_class_recall_per_class_and_an_absent_class():
    outputs = np.eye(4)[[0, 0, 1, 2, 2, 2]]  # predictions 0 0 1 2 2 2
    labels = np.array([0, 1, 1, 2, 2, 0])
    # class 0: samples 0 and 5, one right; class 1: samples 1 and 2, one right; class 2: both right; no class 3
    assert metrics.class_recall(outputs, labels, 4) == [0.5, 0.5, 1.0, None]
    # weighted by each class's samples, recall is accuracy again
    counts = np.bincount(labels, minlength=4)
    recall = metrics.class_recall(outputs, labels, 4)
    weighted = sum(r * n for r, n in zip(recall, counts, strict=True) if r is not None) / len(labels)
    assert weighted == pytest.approx(metrics.accuracy(outputs, labels))


def test_closeness_hand_computed():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])
    got = metrics.closeness(a, b)
    # a - b = (0, 0, -2); |b|^2 = 30; a.b = 20, |a|^2 = 14; mean(b) = 8/3, sum((b - mean)^2) = 26/3
    assert got == pytest.approx(
        {
            "rmse": np.sqrt(4 / 3),
            "mae": 2 / 3,
            "l2r": 2 / np.sqrt(30),
            "cos": 20 / np.sqrt(14 * 30),
            "nse": 1 - 4 / (26 / 3),
        },
        rel=1e-12,
    )
    assert list(got) == ["rmse", "mae", "l2r", "cos", "nse"]


def test_closeness_of_equal_and_opposite_outputs():
    b = np.array([[0.5, -1.0], [2.0, 0.25]])
    assert metrics.closeness(b, b) == {"rmse": 0.0, "mae": 0.0, "l2r": 0.0, "cos": 1.0, "nse": 1.0}
    got = metrics.closeness(-b, b)
    assert got["cos"] == pytest.approx(-1.0) and got["l2r"] == pytest.approx(2.0)
    assert -1.0 <= got["cos"] <= 1.0


@pytest.mark.parametrize(
    "a, b, want",
    [
        # both all zeros: nothing differs
        ([0.0, 0.0], [0.0, 0.0], {"rmse": 0.0, "mae": 0.0, "l2r": 0.0, "cos": 1.0, "nse": 1.0}),
        # the reference is all zeros and a is not: the whole of a is error
        ([1.0, -1.0], [0.0, 0.0], {"rmse": 1.0, "mae": 1.0, "l2r": 1.0, "cos": 0.0, "nse": 0.0}),
        # a is all zeros: nothing of b is kept (l2r follows from ||b|| as usual)
        ([0.0, 0.0], [3.0, 4.0], {"rmse": np.sqrt(12.5), "mae": 3.5, "l2r": 1.0, "cos": 0.0, "nse": 1 - 25 / 0.5}),
        # a constant reference: NSE's denominator is 0
        ([2.0, 2.0, 2.0], [2.0, 2.0, 2.0], {"rmse": 0.0, "mae": 0.0, "l2r": 0.0, "cos": 1.0, "nse": 1.0}),
        ([2.0, 2.0, 3.0], [2.0, 2.0, 2.0], {"nse": 0.0}),
        # no values at all
        ([], [], {"rmse": 0.0, "mae": 0.0, "l2r": 0.0, "cos": 1.0, "nse": 1.0}),
    ],
)
def test_closeness_degenerate_cases_are_defined(a, b, want):
    got = metrics.closeness(np.array(a), np.array(b))
    assert {k: got[k] for k in want} == pytest.approx(want)
    json.dumps(got, allow_nan=False)


def test_a_constant_reference_that_does_not_sum_exactly_is_still_constant():
    # 0.1 has no exact binary form: sum(b^2) - n mean(b)^2 would leave rounding noise, and NSE
    # would come out hugely negative instead of following the constant-reference rule.
    b = np.full(1000, 0.1)
    acc = metrics.Closeness()
    for chunk in np.array_split(b, 7):
        acc.add(chunk + 1e-9, chunk)
    assert acc.m2_b == 0.0 and acc.nse() == 0.0
    assert metrics.Closeness().add(b, b).nse() == 1.0


def test_closeness_in_batches_equals_all_at_once():
    rng = np.random.default_rng(0)
    b = rng.normal(3.0, 2.0, (50, 4, 3))
    a = b + rng.normal(0.0, 0.1, b.shape)
    whole = metrics.closeness(a, b)
    acc = metrics.Closeness()
    for i in range(0, 50, 7):
        acc.add(a[i : i + 7], b[i : i + 7])
    assert acc.as_dict() == pytest.approx(whole, rel=1e-9)
    assert acc.count == a.size


def test_closeness_is_strict_json_for_non_finite_values():
    for a, b in (([1.0, np.nan], [1.0, 2.0]), ([np.inf, 1.0], [1.0, 2.0]), ([np.nan, 0.0], [0.0, 0.0])):
        got = metrics.closeness(np.array(a), np.array(b))
        assert got == dict.fromkeys(("rmse", "mae", "l2r", "cos", "nse")), (a, b)
        json.dumps(got, allow_nan=False)
    # finite values whose squares overflow float64: still no NaN or infinity in the figures
    got = metrics.closeness(np.array([1e300, 1.0]), np.array([1.0, 1e-300]))
    json.dumps(got, allow_nan=False)


def test_closeness_refuses_different_sizes():
    with pytest.raises(ValueError, match="3 values compared with 2"):
        metrics.closeness(np.zeros(3), np.zeros(2))


def test_max_lsb():
    a = np.array([[-128, 0, 5]], np.int8)
    b = np.array([[127, 0, 3]], np.int8)
    assert metrics.max_lsb(a, b) == 255  # no int8 wraparound
    assert metrics.max_lsb(a, a) == 0
    assert metrics.max_lsb(a, b.astype(np.int16)) is None
    assert metrics.max_lsb(a.astype(np.float32), b.astype(np.float32)) is None


def test_lowest_recall_skips_classes_absent_from_the_data():
    from edgenn.evaluate.metrics import lowest_recall

    assert lowest_recall([0.9, None, 0.7, 1.0], ["a", "b", "c", "d"]) == (0.7, "c")
    assert lowest_recall([None, None], ["a", "b"]) is None
    assert lowest_recall(None, ["a"]) is None
