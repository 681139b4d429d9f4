"""Lesson 11 (project): a baseline, a training loop, evaluation and plots for a capstone model.

    >>> from mmteach import project
    >>> base = project.Baseline(n_mels=40, n_classes=8)     # timbre only: mean mel profile → linear
    >>> hist = project.fit(base, train, val, epochs=10)      # train/val: mmteach.data.Patches
    >>> project.evaluate(base, val.x, val.y)                 # {'accuracy', 'loss', 'confusion'}

Every model takes ``(batch, n_mels, n_frames)`` float input and returns ``(batch, n_classes)``
logits, like every model in the course.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import checks
from .core import device as _device
from .core import progress

__all__ = ["Baseline", "evaluate", "fit", "track_vote", "plot_history", "plot_confusion", "first_conv"]


def _as_batch(x, name: str = "x"):
    """A float32 tensor of shape (batch, n_mels, n_frames), or a clear error."""
    if isinstance(x, np.ndarray):
        if x.dtype == object or not np.issubdtype(x.dtype, np.number):
            raise TypeError(f"{name} must hold numbers, got an array of dtype {x.dtype}")
        x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    if not torch.is_tensor(x):
        raise TypeError(f"{name} must be a numpy array or torch tensor of shape (batch, n_mels, n_frames), "
                        f"got {type(x).__name__}")
    if x.ndim != 3:
        raise ValueError(f"{name} must have shape (batch, n_mels, n_frames), got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty (batch size 0); evaluate needs at least one example")
    if not x.is_floating_point():
        x = x.float()
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values; check the features and their normalisation")
    return x


def _as_labels(y, n: int):
    y = torch.as_tensor(np.asarray(y) if not torch.is_tensor(y) else y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y must be a 1-D array of {n} class indices (one per example), got shape {tuple(y.shape)}")
    if y.is_floating_point():
        if not bool((y == y.round()).all()):
            raise TypeError("y must hold integer class indices, got non-integer values")
    return y.long()


class Baseline(nn.Module):
    """Timbre only: the mean of each mel band over time, then one linear layer.

    It cannot see rhythm or tempo at all, so a model that beats it must be using time.
    Parameters: ``2 * n_mels`` (batch norm) ``+ n_mels * n_classes + n_classes``.
    """

    def __init__(self, n_mels: int = 40, n_classes: int = 8):
        super().__init__()
        if n_mels < 1 or n_classes < 2:
            raise ValueError(f"need n_mels >= 1 and n_classes >= 2, got {n_mels}, {n_classes}")
        self.norm = nn.BatchNorm1d(n_mels)
        self.out = nn.Linear(n_mels, n_classes)

    def forward(self, x):
        return self.out(self.norm(x.mean(dim=2)))


@checks.reference
def evaluate(model, x, y, batch_size: int = 64) -> dict:
    """Accuracy, mean cross-entropy and confusion matrix of ``model`` on patches ``x`` with labels ``y``.

    Args:
        model: a torch module mapping ``(batch, n_mels, n_frames)`` to ``(batch, n_classes)`` logits.
        x: ``(n, n_mels, n_frames)`` array or tensor. y: ``(n,)`` integer class indices.
        batch_size: examples per forward pass (the result does not depend on it).

    Returns:
        ``{"accuracy": float in [0, 1], "loss": float >= 0 (mean cross-entropy in nats),
        "confusion": int array (n_classes, n_classes), rows = true class, columns = predicted}``.
        The model is left in evaluation mode; no gradients are computed.
    """
    return _evaluate(model, x, y, batch_size)


def _evaluate(model, x, y, batch_size: int = 64) -> dict:
    """:func:`evaluate` without the reference guard, for the library's own callers."""
    x = _as_batch(x)
    y = _as_labels(y, x.shape[0])
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    dev = next(model.parameters()).device if any(True for _ in model.parameters()) else torch.device("cpu")
    model.eval()
    logits = []
    with torch.no_grad():
        for i in range(0, x.shape[0], int(batch_size)):
            logits.append(model(x[i:i + int(batch_size)].to(dev)).float().cpu())
    z = torch.cat(logits)
    if z.ndim != 2 or z.shape[0] != x.shape[0]:
        raise ValueError(f"the model should return (batch, n_classes) logits, got shape {tuple(z.shape)}")
    n_classes = z.shape[1]
    if int(y.max()) >= n_classes or int(y.min()) < 0:
        raise ValueError(f"labels must lie in 0..{n_classes - 1} for a model with {n_classes} outputs")
    loss = float(torch.nn.functional.cross_entropy(z, y))
    pred = z.argmax(dim=1)
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (y.numpy(), pred.numpy()), 1)
    return {"accuracy": float((pred == y).float().mean()), "loss": loss, "confusion": confusion}


def track_vote(logits, track) -> tuple[np.ndarray, np.ndarray]:
    """Majority vote of patch predictions per track (lesson 04): returns ``(track_ids, predicted_class)``.

    Ties go to the class with the larger summed softmax probability.
    """
    z = np.asarray(logits, dtype=np.float64)
    t = np.asarray(track)
    if z.ndim != 2 or t.shape != (z.shape[0],):
        raise ValueError(f"need logits (n, n_classes) and track (n,), got {z.shape} and {t.shape}")
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    ids = np.unique(t)
    out = np.empty(len(ids), dtype=np.int64)
    for k, tid in enumerate(ids):
        rows = t == tid
        votes = np.bincount(z[rows].argmax(axis=1), minlength=z.shape[1]).astype(float)
        out[k] = int(np.argmax(votes + 1e-6 * p[rows].sum(axis=0)))
    return ids, out


def fit(model, train, val, epochs: int = 10, lr: float = 1e-3, batch_size: int = 32, weight_decay: float = 1e-4,
        seed: int = 0, device=None, show_progress: bool = True) -> dict:
    """Train ``model`` with Adam and cross-entropy on ``train`` patches; measure ``val`` after each epoch.

    ``train``/``val`` are :class:`mmteach.data.Patches` (or anything with ``.x`` and ``.y``).
    Returns ``{"train_loss": [...], "val_loss": [...], "val_accuracy": [...]}`` (one entry per epoch).
    The model ends on ``device`` (default :func:`mmteach.device`) in evaluation mode.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    dev = torch.device(device) if device is not None else _device()
    x = _as_batch(train.x, "train.x")
    y = _as_labels(train.y, x.shape[0])
    gen = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))
    model.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    hist = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in progress(range(int(epochs)), desc="epochs", disable=not show_progress):
        model.train()
        order = torch.randperm(x.shape[0], generator=gen)
        total, count = 0.0, 0
        for i in range(0, x.shape[0], batch_size):
            idx = order[i:i + batch_size]
            if len(idx) < 2 and x.shape[0] > 1:
                continue  # a batch of one upsets batch norm
            xb, yb = x[idx].to(dev), y[idx].to(dev)
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        hist["train_loss"].append(total / max(count, 1))
        res = _evaluate(model, val.x, val.y)
        hist["val_loss"].append(res["loss"])
        hist["val_accuracy"].append(res["accuracy"])
    model.eval()
    return hist


def plot_history(hist: dict, title: str = ""):
    """Training and validation loss, and validation accuracy, per epoch."""
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.2))
    ep = np.arange(1, len(hist["train_loss"]) + 1)
    a.plot(ep, hist["train_loss"], label="train")
    a.plot(ep, hist["val_loss"], label="validation")
    a.set(xlabel="epoch", ylabel="cross-entropy (nats)", title=title or "loss")
    a.legend()
    b.plot(ep, hist["val_accuracy"], color="C2")
    b.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1), title="validation accuracy")
    fig.tight_layout()
    return fig


def plot_confusion(confusion, classes, title: str = "confusion (rows: true, columns: predicted)"):
    import matplotlib.pyplot as plt

    c = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(c, cmap="Blues")
    for (i, j), v in np.ndenumerate(c):
        ax.text(j, i, int(v), ha="center", va="center", fontsize=8, color="black" if v < c.max() / 2 else "white")
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def first_conv(model):
    """The first convolution layer of ``model`` (Conv1d or Conv2d), or None."""
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d)):
            return m
    return None
