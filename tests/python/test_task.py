"""task="binary" from Python: the classification battery, scikit-learn's values, and the
label check (a non-0/1 label is a ValueError naming the row)."""
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

import vernier


@pytest.mark.parametrize("seed", range(4))
def test_binary_battery_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(500, 20000))
    y = rng.integers(0, 2, n).astype(float)
    s = np.clip(np.round(rng.random(n) * 0.6 + 0.3 * y, 2), 0, 1)  # heavy ties
    w = rng.integers(1, 4, n).astype(float) if seed % 2 else None
    r = vernier.evaluate(y, s, sample_weight=w, task="binary")
    assert "roc_auc" in r.metrics and "mae" not in r.metrics
    assert r.value("roc_auc") == pytest.approx(roc_auc_score(y, s, sample_weight=w), rel=1e-12)
    assert r.value("average_precision") == pytest.approx(
        average_precision_score(y, s, sample_weight=w), rel=1e-12)
    assert r.value("brier") == pytest.approx(brier_score_loss(y, s, sample_weight=w), rel=1e-12)
    assert r.value("log_loss") == pytest.approx(log_loss(y, s, sample_weight=w), rel=1e-12)
    acc = vernier.Accumulator(task="binary")
    acc.update(y, s, w)
    assert acc.result().value("roc_auc") == r.value("roc_auc")


def test_labels_must_be_binary():
    with pytest.raises(ValueError, match="binary label"):
        vernier.evaluate([0.0, 1.0, 2.0], [0.1, 0.2, 0.3], task="binary")
    with pytest.raises(ValueError):
        vernier.evaluate([0.0, 1.0], [0.1, 0.2], task="classification")
