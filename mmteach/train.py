"""Training toolkit shared by lessons 04, 05, 07, 08 and 10: fit, predict, evaluate, cross-validate.

The default recipe is the one of Pons et al. (seed 002, "Towards adapting CNNs for music
spectrograms"): minibatch SGD, learning rate 0.01, the learning rate halved every time the
training loss stops improving, and the model that scores best on the validation set kept for
testing. Songs are longer than one input patch, so a track gets several patch predictions and a
majority vote decides its class; accuracy is estimated by k-fold cross-validation with
train/validation/test splits of 80/10/10 % *by track* (no track has patches on both sides).

Everything works on any ``Patches``-like object: something with

* ``x`` — float32 ``(n_patches, n_mels, n_frames)`` (NumPy array or torch tensor),
* ``y`` — int ``(n_patches,)`` class indices, or 0/1 float ``(n_patches, n_tags)`` for multi-label,
* ``track`` — int ``(n_patches,)``, the track each patch was cut from (optional: without it every
  patch counts as its own track).

Typical use::

    from mmteach import train, models
    net = models.create("time", n_classes=8)
    hist = train.fit(net, train_patches, val_patches, epochs=20, batch_size=10)
    hist.plot()
    train.evaluate(net, test_patches)      # {'patch_accuracy': ..., 'track_accuracy': ...}

Models return *logits* (no softmax/sigmoid layer); :func:`predict` turns them into probabilities.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from . import checks
from .core import device as _default_device
from .core import progress as _progress
from .core import seed_everything

__all__ = [
    "History", "fit", "predict", "evaluate", "cross_validate", "majority_vote", "track_mean",
    "as_tensors",
]

LOSSES = ("cross_entropy", "bce")
OPTIMIZERS = ("sgd", "adam")


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------

def _field(patches, name: str, required: bool = True):
    if isinstance(patches, dict):
        value = patches.get(name)
    else:
        value = getattr(patches, name, None)
    if value is None and required:
        raise TypeError(
            f"expected a Patches-like object with fields x, y (and track); "
            f"got {type(patches).__name__} without `{name}`"
        )
    return value


def _to_numpy(a) -> np.ndarray:
    if hasattr(a, "detach"):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def _patch_tensor(x, what: str):
    """``x`` (array or tensor of real numbers) as a float32 tensor, sharing memory where it can;
    a TypeError that says what was expected for strings, objects or complex values."""
    import torch

    expected = f"{what} must be float patches (n_patches, n_mels, n_frames) of real numbers"
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{expected}, got a tensor of dtype {x.dtype}")
        return x.float()
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:   # ragged nested lists
        raise TypeError(f"{expected}, got a {type(x).__name__} that is not a regular array") from err
    if arr.dtype == object or arr.dtype.kind not in "fiub":
        came = f"an array of dtype {arr.dtype}" if isinstance(x, np.ndarray) else f"{type(x).__name__} {x!r:.40}"
        raise TypeError(f"{expected}, got {came}")
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))


def _is_multilabel(patches, y: np.ndarray) -> bool:
    flag = _field(patches, "multilabel", required=False)
    if flag is not None:
        return bool(flag)
    return y.ndim == 2


def as_tensors(patches, loss: str | None = None):
    """``(x, y, track)`` torch tensors from a Patches-like object, checked and built once.

    ``x`` is float32 ``(n, n_mels, n_frames)``; ``y`` is int64 ``(n,)`` for single-label data or
    float32 ``(n, n_tags)`` for multi-label; ``track`` is int64 ``(n,)``. NumPy inputs are wrapped
    without copying where their dtype already fits.
    """
    import torch

    x = _field(patches, "x")
    y = _field(patches, "y")
    track = _field(patches, "track", required=False)
    x = _patch_tensor(x, "patches.x")
    if x.ndim != 3:
        raise ValueError(f"patches.x must be (n_patches, n_mels, n_frames); got shape {tuple(x.shape)}")
    n = x.shape[0]
    if n == 0:
        raise ValueError("patches.x holds no patches (n_patches = 0)")
    y_np = _to_numpy(y)
    multilabel = _is_multilabel(patches, y_np) if loss is None else loss == "bce"
    if multilabel:
        if y_np.ndim != 2:
            raise ValueError(f"multi-label targets must be (n_patches, n_tags) 0/1 values; got shape {y_np.shape}")
        y_t = torch.from_numpy(np.ascontiguousarray(y_np, dtype=np.float32))
    else:
        if y_np.ndim != 1:
            raise ValueError(
                f"single-label targets must be int class indices of shape (n_patches,); got shape {y_np.shape} "
                "(for multi-label data use loss='bce')"
            )
        if not np.issubdtype(y_np.dtype, np.integer):
            if not np.all(np.mod(y_np, 1) == 0):
                raise ValueError(f"single-label targets must be integer class indices; got dtype {y_np.dtype}")
        y_t = torch.from_numpy(np.ascontiguousarray(y_np, dtype=np.int64))
    if y_t.shape[0] != n:
        raise ValueError(f"patches.x has {n} patches but patches.y has {y_t.shape[0]} labels")
    if track is None:
        tr = torch.arange(n)
    else:
        tr_np = _to_numpy(track).astype(np.int64)
        if tr_np.shape != (n,):
            raise ValueError(f"patches.track must be (n_patches,) = ({n},); got shape {tr_np.shape}")
        tr = torch.from_numpy(np.ascontiguousarray(tr_np))
    if not torch.isfinite(x).all():
        raise ValueError("patches.x contains NaN or infinite values; check the features and the normalisation")
    return x, y_t, tr


# --------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------

@dataclass
class History:
    """What happened during :func:`fit`, one entry per epoch.

    ``train_loss``: mean training loss of the epoch (dropout on); ``val_loss`` / ``val_score``:
    loss and score on the validation patches after the epoch (score = patch accuracy for
    single-label, macro ROC-AUC for multi-label; empty lists without validation data);
    ``lr``: the learning rate used in the epoch. ``best_epoch`` is the (0-based) epoch whose
    weights were restored; ``seconds`` the wall time of the whole fit; ``samples_per_second``
    the training throughput (patches per second of optimisation steps, evaluation excluded).
    """

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_score: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    best_epoch: int = -1
    seconds: float = 0.0
    samples_per_second: float = 0.0
    score_name: str = "accuracy"
    stopped_early: bool = False
    device: str = "cpu"

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def plot(self, ax=None, title: str | None = None):
        """Learning curves: losses (left axis) and validation score (right axis); marks the best epoch."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        ep = np.arange(1, self.epochs + 1)
        ax.plot(ep, self.train_loss, label="training loss", color="C0")
        if self.val_loss:
            ax.plot(ep, self.val_loss, label="validation loss", color="C1")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        handles, labels = ax.get_legend_handles_labels()
        if self.val_score:
            ax2 = ax.twinx()
            ax2.plot(ep, self.val_score, label=f"validation {self.score_name}", color="C2", linestyle="--")
            ax2.set_ylabel(f"validation {self.score_name}")
            h2, l2 = ax2.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        if self.best_epoch >= 0:
            ax.axvline(self.best_epoch + 1, color="grey", linestyle=":", linewidth=1)
        ax.legend(handles, labels, loc="best", fontsize="small")
        if title:
            ax.set_title(title)
        return ax

    def __repr__(self) -> str:
        last = f"{self.train_loss[-1]:.4f}" if self.train_loss else "-"
        best = ""
        if self.val_score and self.best_epoch >= 0:
            best = f", best val {self.score_name} {self.val_score[self.best_epoch]:.4f} at epoch {self.best_epoch + 1}"
        return (f"History({self.epochs} epochs, last train loss {last}{best}, "
                f"{self.seconds:.1f} s, {self.samples_per_second:.0f} patches/s on {self.device})")


# --------------------------------------------------------------------------------------------
# fit
# --------------------------------------------------------------------------------------------

def _loss_fn(loss: str):
    import torch.nn.functional as F

    if loss == "cross_entropy":
        return F.cross_entropy
    if loss == "bce":
        return F.binary_cross_entropy_with_logits
    raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")


def _batched_logits(model, x, batch_size: int, dev):
    """Logits for all of ``x`` (a CPU or device tensor), in eval mode, without gradients."""
    import torch

    outs = []
    with torch.inference_mode():
        for start in range(0, x.shape[0], batch_size):
            xb = x[start:start + batch_size]
            if xb.device != dev:
                xb = xb.to(dev, non_blocking=True)
            outs.append(model(xb).float())
    return torch.cat(outs)


def _score(logits, y, multilabel: bool) -> float:
    if multilabel:
        import torch
        probs = torch.sigmoid(logits).cpu().numpy()
        return _macro_roc_auc(y.cpu().numpy(), probs)
    return float((logits.argmax(1) == y).float().mean().item())


def fit(model, train, val=None, *, loss: str = "cross_entropy", optimizer: str = "sgd", lr: float = 0.01,
        epochs: int = 20, batch_size: int = 10, patience: int | None = None,
        halve_lr_on_plateau: bool = True, device=None, seed: int = 0, progress: bool = True,
        momentum: float = 0.0, weight_decay: float = 0.0, min_lr: float = 1e-5,
        eval_batch_size: int = 512) -> History:
    """Train ``model`` on ``train`` patches; return a :class:`History`.

    Parameters
    ----------
    model : torch.nn.Module mapping ``(batch, n_mels, n_frames)`` to logits ``(batch, n_out)``.
    train, val : Patches-like (``x``, ``y``, ``track``). ``val`` is optional; with it, the weights
        of the epoch with the best validation score (ties: lower validation loss) are restored at
        the end, and ``patience`` enables early stopping.
    loss : ``"cross_entropy"`` (single-label, softmax) or ``"bce"`` (multi-label, sigmoid).
    optimizer : ``"sgd"`` (the seed-002 recipe; ``momentum`` 0 by default) or ``"adam"``.
    lr : initial learning rate (0.01 in seed 002).
    epochs, batch_size : number of passes over ``train`` and patches per minibatch (seed 002: 10).
    patience : stop after this many epochs without a better validation score (None: never).
    halve_lr_on_plateau : halve the learning rate whenever an epoch's training loss is not lower
        than the best so far (seed 002's schedule); never below ``min_lr``.
    device : torch device (default :func:`mmteach.device`); model and data are moved there.
    seed : seeds shuffling, dropout and initialisation-free randomness, so a run repeats exactly.
    progress : show a progress bar over epochs.

    The model is left on ``device``, in eval mode, holding the best weights.
    """
    import torch

    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {optimizer!r}")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    for name, v in (("epochs", epochs), ("batch_size", batch_size), ("eval_batch_size", eval_batch_size)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int; got {v!r}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"lr must be a positive number; got {lr!r}")
    if patience is not None and (not isinstance(patience, (int, np.integer)) or patience < 1):
        raise ValueError(f"patience must be None or a positive int; got {patience!r}")

    dev = torch.device(device) if device is not None else _default_device()
    seed_everything(seed)
    gen = torch.Generator().manual_seed(int(seed))
    multilabel = loss == "bce"
    criterion = _loss_fn(loss)

    x, y, _ = as_tensors(train, loss)
    # Data live on the device once; every batch is an index into these tensors.
    x, y = x.to(dev), y.to(dev)
    if val is not None:
        xv, yv, _ = as_tensors(val, loss)
        xv, yv = xv.to(dev), yv.to(dev)
        if xv.shape[1:] != x.shape[1:]:
            raise ValueError(f"val patches are {tuple(xv.shape[1:])} but train patches are {tuple(x.shape[1:])}")
    model.to(dev)
    _check_output(model, x[:2], y, multilabel)

    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)

    hist = History(score_name="roc_auc" if multilabel else "accuracy", device=str(dev))
    n = x.shape[0]
    best_key = None
    best_state = None
    best_train = math.inf
    since_best = 0
    step_seconds = 0.0
    t_start = time.perf_counter()
    bar = _progress(range(epochs), desc="epochs") if progress else range(epochs)
    for epoch in bar:
        model.train()
        t0 = time.perf_counter()
        order = torch.randperm(n, generator=gen).to(dev)
        total = torch.zeros((), device=dev)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            out = model(x[idx])
            batch_loss = criterion(out, y[idx])
            opt.zero_grad(set_to_none=True)
            batch_loss.backward()
            opt.step()
            total += batch_loss.detach() * idx.shape[0]
        epoch_loss = float(total.item()) / n
        if dev.type == "cuda":
            torch.cuda.synchronize()
        step_seconds += time.perf_counter() - t0
        if not math.isfinite(epoch_loss):
            raise FloatingPointError(
                f"training loss became {epoch_loss} in epoch {epoch + 1}; try a smaller lr (now {lr_now(opt)})"
            )
        hist.train_loss.append(epoch_loss)
        hist.lr.append(lr_now(opt))

        if halve_lr_on_plateau:
            if epoch_loss < best_train * (1 - 1e-4):
                best_train = epoch_loss
            else:
                for g in opt.param_groups:
                    g["lr"] = max(g["lr"] / 2, min_lr)

        if val is not None:
            model.eval()
            logits = _batched_logits(model, xv, eval_batch_size, dev)
            vloss = float(criterion(logits, yv).item())
            vscore = _score(logits, yv, multilabel)
            hist.val_loss.append(vloss)
            hist.val_score.append(vscore)
            key = (vscore, -vloss)
            if best_key is None or key > best_key:
                best_key, hist.best_epoch, since_best = key, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                since_best += 1
            if progress and hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{epoch_loss:.3f}", val=f"{vscore:.3f}")
            if patience is not None and since_best >= patience:
                hist.stopped_early = True
                break
        else:
            hist.best_epoch = epoch
            if progress and hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{epoch_loss:.3f}")
    if hasattr(bar, "close"):
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    hist.seconds = time.perf_counter() - t_start
    hist.samples_per_second = n * hist.epochs / step_seconds if step_seconds > 0 else float("nan")
    return hist


def lr_now(opt) -> float:
    return float(opt.param_groups[0]["lr"])


def _check_output(model, xb, y, multilabel: bool) -> None:
    import torch

    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model(xb)
    model.train(was_training)
    if out.ndim != 2:
        raise ValueError(f"the model must return logits of shape (batch, n_outputs); it returned shape {tuple(out.shape)}")
    if multilabel:
        if out.shape[1] != y.shape[1]:
            raise ValueError(f"the model has {out.shape[1]} outputs but the data have {y.shape[1]} tags")
    else:
        top = int(y.max().item())
        if top >= out.shape[1] or int(y.min().item()) < 0:
            raise ValueError(f"labels run from {int(y.min())} to {top} but the model has {out.shape[1]} outputs")


# --------------------------------------------------------------------------------------------
# predict / evaluate
# --------------------------------------------------------------------------------------------

def predict(model, x, batch_size: int = 512, device=None, multilabel: bool | None = None) -> np.ndarray:
    """Class (or tag) probabilities for patches ``x``: float32 ``(n_patches, n_outputs)``.

    ``x`` is an array/tensor ``(n_patches, n_mels, n_frames)`` or a Patches-like object.
    Softmax over the outputs for single-label models, an independent sigmoid per output for
    multi-label ones (``multilabel=True``, or taken from ``x.multilabel`` for Patches).
    The model is run in eval mode (dropout off) on ``device``.
    """
    import torch

    if multilabel is None:
        flag = _field(x, "multilabel", required=False) if not isinstance(x, (np.ndarray, torch.Tensor)) else None
        multilabel = bool(flag) if flag is not None else False
    if not isinstance(x, (np.ndarray, torch.Tensor)):
        x = _field(x, "x")
    xt = _patch_tensor(x, "x")
    if xt.ndim == 2:
        raise ValueError(f"x must be a batch (n_patches, n_mels, n_frames); got one patch of shape {tuple(xt.shape)} "
                         "— use x[None] for a single patch")
    if xt.ndim != 3:
        raise ValueError(f"x must be (n_patches, n_mels, n_frames); got shape {tuple(xt.shape)}")
    if not torch.isfinite(xt).all():
        raise ValueError("x contains NaN or infinite values; the patches must be finite "
                         "(check the features and the normalisation)")
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(dev)
    was_training = model.training
    model.eval()
    try:
        logits = _batched_logits(model, xt, batch_size, dev)
    finally:
        model.train(was_training)
    probs = torch.sigmoid(logits) if multilabel else torch.softmax(logits, dim=1)
    return probs.cpu().numpy().astype(np.float32)


@checks.reference
def majority_vote(patch_pred, track, n_classes: int | None = None):
    """Track-level decisions by majority vote over patch predictions.

    Parameters
    ----------
    patch_pred : int ``(n_patches,)`` predicted class of each patch.
    track : int ``(n_patches,)`` the track each patch belongs to.
    n_classes : number of classes (default ``max(patch_pred) + 1``).

    Returns
    -------
    tracks : int ``(n_tracks,)`` the distinct track ids, sorted ascending.
    votes : int ``(n_tracks,)`` the most frequent patch prediction of each track; a tie goes to
        the smallest class index among the tied classes.
    """
    pred = np.asarray(patch_pred)
    track = np.asarray(track)
    if pred.ndim != 1 or track.shape != pred.shape:
        raise ValueError(f"patch_pred and track must both be (n_patches,); got {pred.shape} and {track.shape}")
    if pred.size == 0:
        raise ValueError("no patch predictions to vote on")
    pred = pred.astype(np.int64)
    if pred.min() < 0:
        raise ValueError("class indices must be >= 0")
    k = int(pred.max()) + 1 if n_classes is None else int(n_classes)
    tracks, inv = np.unique(track, return_inverse=True)
    counts = np.zeros((len(tracks), k), dtype=np.int64)
    np.add.at(counts, (inv, pred), 1)
    return tracks, counts.argmax(axis=1)


def track_mean(patch_scores, track):
    """Mean of patch scores per track: ``(tracks (n_tracks,), scores (n_tracks, n_outputs))``.

    Used for multi-label data, where a track's tag probabilities are its patches' average.
    """
    s = np.asarray(patch_scores, dtype=np.float64)
    track = np.asarray(track)
    if s.ndim != 2 or track.shape != (s.shape[0],):
        raise ValueError(f"patch_scores must be (n_patches, n_outputs) and track (n_patches,); got {s.shape}, {track.shape}")
    tracks, inv = np.unique(track, return_inverse=True)
    sums = np.zeros((len(tracks), s.shape[1]))
    np.add.at(sums, inv, s)
    return tracks, sums / np.bincount(inv)[:, None]


def _informative_tags(y_true: np.ndarray) -> list[int]:
    """Tags with both positive and negative examples (AUC is undefined for the others)."""
    return [j for j in range(y_true.shape[1]) if 0 < y_true[:, j].sum() < y_true.shape[0]]


def _macro_auc(y_true: np.ndarray, y_score: np.ndarray, kind: str) -> float:
    """Macro ROC-AUC (``kind="roc"``) or PR-AUC (``"pr"``) over the tags that have both classes."""
    keep = _informative_tags(y_true)
    if not keep:
        return float("nan")
    yt, ys = y_true[:, keep], y_score[:, keep]
    from . import metrics

    return float(metrics.macro_roc_auc(yt, ys) if kind == "roc" else metrics.macro_pr_auc(yt, ys))


def _macro_roc_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    return _macro_auc(y_true, y_score, "roc")


def _macro_pr_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    return _macro_auc(y_true, y_score, "pr")


def evaluate(model, patches, ds=None, batch_size: int = 512, device=None) -> dict:
    """Scores of ``model`` on ``patches`` at patch level and at track level.

    Single-label: ``patch_accuracy``; ``track_accuracy`` after a majority vote of the patch
    predictions of each track; plus ``tracks``, ``track_true``, ``track_pred`` (arrays over the
    distinct tracks), ``confusion`` (n_classes × n_classes, rows = true class, at track level),
    ``n_patches``, ``n_tracks``.
    Multi-label: ``roc_auc`` and ``pr_auc`` (macro over tags) at track level, where a track's
    scores are the mean of its patches' sigmoid outputs; ``patch_roc_auc``; ``tracks``.

    ``ds`` (optional, a TrackSet) supplies the true track labels (``ds.labels[track]``);
    without it, a track's label is taken from its patches.
    """
    multilabel = bool(_field(patches, "multilabel", required=False))
    x, y, tr = as_tensors(patches, "bce" if multilabel else None)
    multilabel = y.ndim == 2
    probs = predict(model, x, batch_size=batch_size, device=device, multilabel=multilabel)
    y_np, tr_np = y.numpy(), tr.numpy()
    out: dict[str, Any] = {"n_patches": int(len(y_np))}
    if multilabel:
        tracks, track_scores = track_mean(probs, tr_np)
        if ds is not None:
            track_true = np.asarray(ds.labels)[tracks].astype(np.float32)
        else:
            _, track_true = track_mean(y_np, tr_np)
            track_true = (track_true > 0.5).astype(np.float32)
        out.update(roc_auc=_macro_roc_auc(track_true, track_scores),
                   pr_auc=_macro_pr_auc(track_true, track_scores),
                   patch_roc_auc=_macro_roc_auc(y_np, probs),
                   tracks=tracks, track_scores=track_scores, n_tracks=len(tracks))
        return out
    n_classes = probs.shape[1]
    patch_pred = probs.argmax(axis=1)
    tracks, track_pred = majority_vote(patch_pred, tr_np, n_classes)
    if ds is not None:
        track_true = np.asarray(ds.labels)[tracks].astype(np.int64)
    else:
        _, track_true = majority_vote(y_np, tr_np, n_classes)
    conf = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(conf, (track_true, track_pred), 1)
    out.update(patch_accuracy=float((patch_pred == y_np).mean()),
               track_accuracy=float((track_pred == track_true).mean()),
               tracks=tracks, track_true=track_true, track_pred=track_pred, confusion=conf,
               n_tracks=int(len(tracks)))
    return out


# --------------------------------------------------------------------------------------------
# cross-validation
# --------------------------------------------------------------------------------------------

def cross_validate(make_model: Callable[[], Any], ds, pipeline: str, n_frames: int, k: int = 10, folds=None, *,
                   hop: int | None = None, seed: int = 0, progress: bool = True, normalise: bool | None = None,
                   **fit_kwargs) -> dict:
    """k-fold cross-validation by track, with a train/validation/test split in every fold.

    ``make_model()`` builds a fresh model per fold. For each fold, the training tracks alone
    give the normalisation statistics (``mmteach.data.norm_stats``), the tracks are cut into
    ``n_frames``-frame patches (``mmteach.data.make_patches``, step ``hop``), the model is
    trained with :func:`fit` (``**fit_kwargs``; validation patches pick the best epoch) and
    scored with :func:`evaluate` on the test tracks.

    ``folds``: None runs all ``ds.folds(k, seed)``; a list of ints runs only those of the k
    folds (fewer runs, same 80/10/10 proportions for k = 10); a list of dicts
    ``{train, val, test}`` of track indices is used as given.
    ``normalise``: use dataset-wide mean/std of the training tracks (default: True for the
    "pons" pipeline, False for "musicnn", whose model normalises its own input).

    Returns a dict with ``scores`` (per fold: track accuracy, or track-level macro ROC-AUC for
    multi-label data), ``mean``, ``std`` (population std over folds), ``score_name``,
    ``accuracies`` / ``patch_accuracies`` (single-label), ``per_fold`` (the evaluate dicts),
    ``histories``, ``folds`` (the index dicts used), ``n_parameters`` and ``seconds``.
    """
    from . import data as _data

    if not callable(make_model):
        raise TypeError("make_model must be a function that returns a fresh model, e.g. lambda: models.create('time')")
    if folds is None:
        fold_list = list(ds.folds(k=k, seed=seed))
    else:
        folds = list(folds)
        if folds and all(isinstance(f, (int, np.integer)) for f in folds):
            every = list(ds.folds(k=k, seed=seed))
            bad = [f for f in folds if not 0 <= f < len(every)]
            if bad:
                raise ValueError(f"fold numbers {bad} out of range: there are {len(every)} folds (0..{len(every) - 1})")
            fold_list = [every[int(f)] for f in folds]
        elif folds and all(isinstance(f, dict) for f in folds):
            fold_list = folds
        else:
            raise TypeError("folds must be None, a list of fold numbers, or a list of dicts with train/val/test indices")
    if not fold_list:
        raise ValueError("no folds to run")
    if normalise is None:
        normalise = pipeline == "pons"
    multilabel = bool(getattr(ds, "multilabel", False))
    loss = fit_kwargs.pop("loss", "bce" if multilabel else "cross_entropy")
    t0 = time.perf_counter()
    per_fold, histories, n_params = [], [], None
    fold_seed = fit_kwargs.pop("fit_seed", seed)
    for i, fold in enumerate(_progress(fold_list, desc="folds") if progress else fold_list):
        stats = _data.norm_stats(ds, pipeline, fold["train"]) if normalise else None
        tr = _data.make_patches(ds, pipeline, n_frames, indices=fold["train"], hop=hop, stats=stats)
        va = _data.make_patches(ds, pipeline, n_frames, indices=fold["val"], hop=hop, stats=stats)
        te = _data.make_patches(ds, pipeline, n_frames, indices=fold["test"], hop=hop, stats=stats)
        seed_everything(fold_seed + i)
        model = make_model()
        if n_params is None:
            n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        hist = fit(model, tr, va, loss=loss, seed=fold_seed + i, progress=False, **fit_kwargs)
        histories.append(hist)
        per_fold.append(evaluate(model, te, ds))
    score_name = "roc_auc" if multilabel else "track_accuracy"
    scores = [f[score_name] for f in per_fold]
    res = dict(scores=scores, mean=float(np.mean(scores)), std=float(np.std(scores)), score_name=score_name,
               per_fold=per_fold, histories=histories, folds=fold_list, n_parameters=n_params,
               seconds=time.perf_counter() - t0)
    if not multilabel:
        res["accuracies"] = scores
        res["patch_accuracies"] = [f["patch_accuracy"] for f in per_fold]
    return res
