"""Tests of mmteach.metrics against scikit-learn (the trusted implementation)."""
import warnings

import numpy as np
import pytest
import torch
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from mmteach import checks, metrics


def _cases():
    rng = np.random.default_rng(0)
    for i in range(40):
        n = int(rng.integers(2, 200))
        y = rng.integers(0, 2, n)
        if y.min() == y.max():
            y[0] = 1 - y[0]
        if i % 4 == 0:
            s = rng.normal(size=n)                        # continuous: no ties
        elif i % 4 == 1:
            s = rng.integers(0, 4, n).astype(float)       # heavy ties
        elif i % 4 == 2:
            s = np.round(rng.random(n), 1) + 0.5 * y      # ties and signal
        else:
            s = np.full(n, 0.3)                           # all tied: AUC 1/2
        yield y, s


@pytest.mark.parametrize("y, s", list(_cases()))
def test_roc_auc_matches_sklearn(y, s):
    assert metrics.roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-9)


@pytest.mark.parametrize("y, s", list(_cases()))
def test_average_precision_matches_sklearn(y, s):
    assert metrics.pr_auc(y, s) == pytest.approx(average_precision_score(y, s), abs=1e-9)


@pytest.mark.parametrize("y, s", list(_cases())[:12])
def test_trapezoid_pr_auc_matches_sklearn(y, s):
    p, r, _ = precision_recall_curve(y, s)
    assert metrics.pr_auc(y, s, method="trapezoid") == pytest.approx(auc(r, p), abs=1e-9)


@pytest.mark.parametrize("y, s", list(_cases())[:12])
def test_roc_curve_matches_sklearn_and_area(y, s):
    fpr, tpr, _ = metrics.roc_curve(y, s)
    sf, st, _ = sk_roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sf, atol=1e-12)
    np.testing.assert_allclose(tpr, st, atol=1e-12)
    assert np.trapezoid(tpr, fpr) == pytest.approx(metrics.roc_auc(y, s), abs=1e-12)


def test_known_values():
    # one tie between a positive and a negative counts one half
    assert metrics.roc_auc([0, 1, 0, 1], [0.1, 0.5, 0.5, 0.9]) == pytest.approx(0.875)
    assert metrics.roc_auc([0, 0, 1, 1], [1, 2, 3, 4]) == 1.0
    assert metrics.roc_auc([1, 1, 0, 0], [1, 2, 3, 4]) == 0.0
    np.testing.assert_allclose(metrics.average_ranks([10, 20, 20, 30]), [1, 2.5, 2.5, 4])
    np.testing.assert_allclose(metrics.average_ranks([3, 3, 3]), [2, 2, 2])
    # AP of a perfect ranking is 1; of positives ranked 1st and 3rd: (1 + 2/3) / 2
    assert metrics.pr_auc([1, 0, 1, 0], [4, 3, 2, 1]) == pytest.approx((1 + 2 / 3) / 2)
    assert metrics.pr_auc([1, 1, 1], [0.2, 0.1, 0.3]) == 1.0


def test_auc_is_invariant_to_monotone_transforms():
    rng = np.random.default_rng(1)
    y, s = rng.integers(0, 2, 100), rng.normal(size=100)
    assert metrics.roc_auc(y, s) == pytest.approx(metrics.roc_auc(y, 1 / (1 + np.exp(-3 * s))))


def test_per_tag_and_macro_match_sklearn():
    rng = np.random.default_rng(2)
    Y = (rng.random((80, 6)) < 0.3).astype(int)
    Y[0] = 1
    Y[1] = 0
    S = np.round(rng.random((80, 6)) + 0.4 * Y, 2)
    per = metrics.roc_auc_per_tag(Y, S)
    np.testing.assert_allclose(per, [roc_auc_score(Y[:, j], S[:, j]) for j in range(6)], atol=1e-9)
    assert metrics.macro_roc_auc(Y, S) == pytest.approx(roc_auc_score(Y, S, average="macro"), abs=1e-9)
    assert metrics.macro_pr_auc(Y, S) == pytest.approx(average_precision_score(Y, S, average="macro"), abs=1e-9)
    np.testing.assert_allclose(metrics.pr_auc_per_tag(Y, S),
                               [average_precision_score(Y[:, j], S[:, j]) for j in range(6)], atol=1e-9)


def test_degenerate_tags():
    Y = np.array([[1, 0, 1], [0, 0, 1], [1, 0, 1], [0, 0, 1]])
    S = np.array([[0.9, 0.1, 0.5], [0.2, 0.3, 0.4], [0.8, 0.2, 0.1], [0.3, 0.4, 0.9]])
    with pytest.raises(ValueError, match="only one class"):
        metrics.roc_auc(Y[:, 1], S[:, 1])
    with pytest.raises(ValueError, match="only one class"):
        metrics.roc_auc(Y[:, 2], S[:, 2])
    with pytest.raises(ValueError, match="no positive"):
        metrics.pr_auc(Y[:, 1], S[:, 1])
    per = metrics.roc_auc_per_tag(Y, S)
    assert per[0] == 1.0 and np.isnan(per[1]) and np.isnan(per[2])
    with pytest.warns(UserWarning, match="skipped 2 tag.*drums, piano"):
        assert metrics.macro_roc_auc(Y, S, tag_names=["rock", "drums", "piano"]) == 1.0
    # PR-AUC is defined when every example is positive (tag 2) but not without positives (tag 1)
    pr = metrics.pr_auc_per_tag(Y, S)
    assert np.isnan(pr[1]) and pr[2] == 1.0
    with pytest.warns(UserWarning, match="#1"):
        metrics.macro_pr_auc(Y, S)
    with pytest.raises(ValueError, match="every tag"):
        metrics.macro_roc_auc(Y[:, 1:], S[:, 1:])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics.macro_roc_auc(Y[:, :1], S[:, :1])   # no warning when nothing is skipped


def test_bad_inputs():
    with pytest.raises(ValueError, match="0/1"):
        metrics.roc_auc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="NaN"):
        metrics.roc_auc([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="2 labels but y_score has 3"):
        metrics.roc_auc([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="1-D"):
        metrics.roc_auc(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="same shape"):
        metrics.macro_roc_auc(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="method"):
        metrics.pr_auc([0, 1], [0.1, 0.2], method="x")


def test_accuracy():
    assert metrics.accuracy([0, 1, 2, 1], [0, 1, 1, 1]) == 0.75
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    assert metrics.accuracy([0, 1, 1], probs) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="expected"):
        metrics.accuracy([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="empty"):
        metrics.accuracy([], [])


def test_time_per_sample():
    assert metrics.seconds_per_sample(2.0, 100) == 0.02
    with pytest.raises(ValueError):
        metrics.seconds_per_sample(1.0, 0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))
    before = [p.detach().clone() for p in net.parameters()]
    t = metrics.training_time_per_sample(net, (3, 4), 3, batch_size=4, n_steps=2, device="cpu")
    assert 0 < t < 1
    for p, q in zip(net.parameters(), before):     # the model itself was not trained
        assert torch.equal(p, q)
    t_ce = metrics.training_time_per_sample(net, (3, 4), 3, batch_size=4, n_steps=1, loss="cross_entropy", device="cpu")
    assert t_ce > 0


def test_roc_auc_reference_is_blocked_in_own_work():
    with checks.own_work():
        with pytest.raises(checks.ReferenceUsed):
            metrics.roc_auc([0, 1], [0.1, 0.2])
