"""Task metrics: ROC AUC (written here so evaluation needs no scikit-learn) against scikit-learn's."""

from __future__ import annotations

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
