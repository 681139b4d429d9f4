"""Evaluation metrics for classification and multi-label tagging, from first principles (lesson 07).

ROC-AUC
    The area under the ROC curve equals the probability that a randomly drawn positive example
    scores higher than a randomly drawn negative one, ties counting one half. That is the
    Mann–Whitney U statistic divided by n₊·n₋, computed here from average ranks::

        AUC = (Σ_{i positive} rank(s_i) − n₊(n₊ + 1)/2) / (n₊ · n₋)

    where tied scores share the mean of the ranks they occupy. This is exactly the trapezoidal area
    under the ROC curve drawn through every distinct threshold (what scikit-learn's
    ``roc_auc_score`` computes).

PR-AUC
    ``method="ap"`` (default) is *average precision*, the step-wise area
    ``AP = Σ_k (R_k − R_{k−1}) · P_k`` over the distinct score thresholds k taken from the highest
    down, with P_k, R_k the precision and recall of "score ≥ threshold k". It equals scikit-learn's
    ``average_precision_score`` and is what the tagging literature (e.g. MusiCNN's PR-AUC) reports.
    ``method="trapezoid"`` joins the same (recall, precision) points with straight lines, starting
    at (0, 1), as ``sklearn.metrics.auc(recall, precision)`` after ``precision_recall_curve`` does;
    it is optimistic and is given for comparison only.

Degenerate tags
    A tag with no positive (or, for ROC-AUC, no negative) example in the evaluation set has no
    defined AUC. The binary functions raise ``ValueError``; the per-tag functions return NaN for it;
    the macro averages skip NaN tags with a ``UserWarning`` naming them, and raise if none is left.
"""
from __future__ import annotations

import time
import warnings
from typing import Sequence

import numpy as np

from . import checks

__all__ = [
    "average_ranks", "roc_auc", "roc_curve", "pr_auc", "roc_auc_per_tag", "pr_auc_per_tag",
    "macro_roc_auc", "macro_pr_auc", "accuracy", "seconds_per_sample", "training_time_per_sample",
]


# --------------------------------------------------------------------------- input checks

def _binary_inputs(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=np.float64)
    if y_true.ndim != 1 or y_score.ndim != 1:
        raise ValueError(f"y_true and y_score must be 1-D (n,), got shapes {y_true.shape} and {y_score.shape}; "
                         "for several tags use the *_per_tag or macro_* functions")
    if y_true.shape != y_score.shape:
        raise ValueError(f"y_true has {y_true.shape[0]} labels but y_score has {y_score.shape[0]} scores")
    if y_true.size == 0:
        raise ValueError("y_true is empty")
    values = np.unique(y_true)
    if not np.all(np.isin(values, (0, 1))):
        raise ValueError(f"y_true must hold only 0/1 (or False/True) labels, got values {values[:6]}")
    if not np.all(np.isfinite(y_score)):
        raise ValueError("y_score contains NaN or infinite values")
    return y_true.astype(bool), y_score


def _multilabel_inputs(Y_true, Y_score) -> tuple[np.ndarray, np.ndarray]:
    Y_true, Y_score = np.asarray(Y_true), np.asarray(Y_score, dtype=np.float64)
    if Y_true.ndim != 2 or Y_true.shape != Y_score.shape:
        raise ValueError(f"expected Y_true and Y_score of the same shape (n_examples, n_tags), "
                         f"got {Y_true.shape} and {Y_score.shape}")
    return Y_true, Y_score


# --------------------------------------------------------------------------- ranks and ROC

def average_ranks(x) -> np.ndarray:
    """Ranks 1…n of the values in ``x`` (1-D), ties sharing the mean of the ranks they span.

    ``average_ranks([10, 20, 20, 30]) -> [1, 2.5, 2.5, 4]``.
    """
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"average_ranks expects a 1-D array, got shape {x.shape}")
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    # start index of each run of equal values in the sorted array
    new_run = np.concatenate([[True], sorted_x[1:] != sorted_x[:-1]])
    starts = np.flatnonzero(new_run)
    ends = np.concatenate([starts[1:], [len(x)]])          # one past the last index of each run
    run_rank = (starts + 1 + ends) / 2.0                    # mean of ranks starts+1 … ends
    run_id = np.cumsum(new_run) - 1
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = run_rank[run_id]
    return ranks


@checks.reference
def roc_auc(y_true, y_score) -> float:
    """Area under the ROC curve of one binary tag, via the Mann–Whitney rank statistic.

    y_true: (n,) 0/1 labels; y_score: (n,) real scores (higher = more likely positive).
    Raises ValueError when only one class is present.
    """
    y, s = _binary_inputs(y_true, y_score)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"ROC-AUC is undefined with only one class present ({n_pos} positives, {n_neg} negatives)")
    ranks = average_ranks(s)
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def _threshold_counts(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True and false positives of "score ≥ threshold" at each distinct score, highest first."""
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    last_of_run = np.concatenate([s_sorted[1:] != s_sorted[:-1], [True]])
    tp = np.cumsum(y_sorted)[last_of_run].astype(np.float64)
    fp = np.cumsum(~y_sorted)[last_of_run].astype(np.float64)
    return tp, fp, s_sorted[last_of_run]


def roc_curve(y_true, y_score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC points ``(fpr, tpr, thresholds)`` for every distinct score, starting at (0, 0).

    The trapezoidal area under these points equals :func:`roc_auc`.
    """
    y, s = _binary_inputs(y_true, y_score)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"the ROC curve is undefined with only one class present ({n_pos} positives, {n_neg} negatives)")
    tp, fp, thr = _threshold_counts(y, s)
    fpr = np.concatenate([[0.0], fp / n_neg])
    tpr = np.concatenate([[0.0], tp / n_pos])
    return fpr, tpr, np.concatenate([[np.inf], thr])


@checks.reference
def pr_auc(y_true, y_score, method: str = "ap") -> float:
    """Area under the precision–recall curve of one binary tag.

    ``method="ap"``: average precision Σ (R_k − R_{k−1}) P_k (matches sklearn's
    ``average_precision_score``); ``method="trapezoid"``: straight lines through the same points
    from (recall 0, precision 1) (matches ``auc(recall, precision)``). Raises ValueError with no
    positive example.
    """
    if method not in ("ap", "trapezoid"):
        raise ValueError(f"method must be 'ap' or 'trapezoid', got {method!r}")
    y, s = _binary_inputs(y_true, y_score)
    n_pos = int(y.sum())
    if n_pos == 0:
        raise ValueError("PR-AUC is undefined with no positive example (recall has no denominator)")
    tp, fp, _ = _threshold_counts(y, s)
    precision = tp / (tp + fp)
    recall = tp / n_pos
    if method == "ap":
        return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))
    r = np.concatenate([[0.0], recall])
    p = np.concatenate([[1.0], precision])
    return float(np.sum(np.diff(r) * (p[1:] + p[:-1]) / 2.0))


# --------------------------------------------------------------------------- several tags

def _per_tag(fn, Y_true, Y_score, **kwargs) -> np.ndarray:
    Y_true, Y_score = _multilabel_inputs(Y_true, Y_score)
    out = np.full(Y_true.shape[1], np.nan)
    for j in range(Y_true.shape[1]):
        col = Y_true[:, j]
        n_pos = int(np.sum(col == 1))
        if n_pos == 0 or (fn is roc_auc and n_pos == len(col)):
            continue
        out[j] = fn(col, Y_score[:, j], **kwargs)
    return out


def roc_auc_per_tag(Y_true, Y_score) -> np.ndarray:
    """ROC-AUC of each column: (n_tags,), NaN for a tag with only one class present."""
    return _per_tag(roc_auc, Y_true, Y_score)


def pr_auc_per_tag(Y_true, Y_score, method: str = "ap") -> np.ndarray:
    """PR-AUC of each column: (n_tags,), NaN for a tag without positives."""
    return _per_tag(pr_auc, Y_true, Y_score, method=method)


def _macro(per_tag: np.ndarray, what: str, tag_names: Sequence[str] | None) -> float:
    bad = np.flatnonzero(np.isnan(per_tag))
    if len(bad) == len(per_tag):
        raise ValueError(f"{what} is undefined for every tag (no tag has both positives and negatives)")
    if len(bad):
        names = [tag_names[i] for i in bad] if tag_names is not None else [f"#{i}" for i in bad]
        warnings.warn(f"{what}: skipped {len(bad)} tag(s) with only one class in the evaluation set: "
                      f"{', '.join(map(str, names))}", UserWarning, stacklevel=3)
    return float(np.nanmean(per_tag))


def macro_roc_auc(Y_true, Y_score, tag_names: Sequence[str] | None = None) -> float:
    """Mean ROC-AUC over tags (macro average), skipping degenerate tags with a warning.

    Y_true: (n, n_tags) 0/1; Y_score: (n, n_tags) scores.
    """
    return _macro(roc_auc_per_tag(Y_true, Y_score), "macro ROC-AUC", tag_names)


def macro_pr_auc(Y_true, Y_score, tag_names: Sequence[str] | None = None, method: str = "ap") -> float:
    """Mean PR-AUC (average precision by default) over tags, skipping tags without positives."""
    return _macro(pr_auc_per_tag(Y_true, Y_score, method=method), "macro PR-AUC", tag_names)


# --------------------------------------------------------------------------- accuracy and time

def accuracy(y_true, y_pred) -> float:
    """Fraction of correct predictions.

    y_true: (n,) int labels. y_pred: (n,) int labels, or (n, n_classes) scores/probabilities whose
    arg-max is taken.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.ndim == 2:
        y_pred = y_pred.argmax(axis=1)
    if y_true.ndim != 1 or y_pred.shape != y_true.shape:
        raise ValueError(f"expected y_true (n,) and y_pred (n,) or (n, n_classes); got {y_true.shape} and {np.shape(y_pred)}")
    if y_true.size == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return float(np.mean(y_true == y_pred))


def seconds_per_sample(seconds: float, n_samples: int) -> float:
    """Training time per sample: total seconds divided by the number of examples processed."""
    if n_samples <= 0:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    return float(seconds) / n_samples


def training_time_per_sample(model, input_shape: tuple, n_outputs: int, *, batch_size: int = 16,
                             n_steps: int = 5, warmup: int = 1, loss: str = "bce", device=None,
                             lr: float = 1e-3) -> float:
    """Measure seconds per training example of one optimisation step (forward, backward, Adam).

    ``input_shape`` is one example's shape, e.g. ``(96, 187)``. Random inputs and targets are
    used: only time matters here. The model is copied, so its weights are left untouched.
    ``loss``: "bce" (multi-label, targets 0/1) or "cross_entropy" (single label).
    """
    import copy

    import torch

    from .core import device as pick_device

    dev = torch.device(device) if device is not None else pick_device()
    net = copy.deepcopy(model).to(dev).train()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((batch_size, *input_shape), generator=gen).to(dev)
    if loss == "bce":
        y = (torch.rand((batch_size, n_outputs), generator=gen) < 0.3).float().to(dev)
        crit = torch.nn.BCEWithLogitsLoss()
    elif loss == "cross_entropy":
        y = torch.randint(0, n_outputs, (batch_size,), generator=gen).to(dev)
        crit = torch.nn.CrossEntropyLoss()
    else:
        raise ValueError(f"loss must be 'bce' or 'cross_entropy', got {loss!r}")

    def step():
        opt.zero_grad()
        crit(net(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(n_steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / (n_steps * batch_size)
