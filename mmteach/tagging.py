"""Multi-label music tagging with the four Choi et al. architectures (lesson 07).

    >>> from mmteach import tagging
    >>> data = tagging.tag_patches()                 # train/val/test patches of the offline tag set
    >>> rows = tagging.compare(["crnn", "k2c2"], [100_000], data, epochs=8)
    >>> tagging.print_table(rows)

Input choice. The paper fed 96 mel bins × 1366 frames (29.1 s at 12 kHz). Our offline tag set has
4-s clips, so a clip gives one 3-s patch of the MusiCNN pipeline (96 mels × 187 frames, 16 kHz,
hop 256). The 2-D architectures (k2c2, CRNN) cost 50–100× more per sample than the 1-D ones, so to
keep lesson 07 within minutes on a laptop CPU :func:`tag_patches` halves the resolution by
default: averaging pairs of mel bins and pairs of frames gives **48 bands × 93 frames** (32 ms per
frame), 4× fewer pixels, still 3 s of music. ``half=False`` keeps 96 × 187 (use it on a GPU).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import checks, metrics
from .core import pick, seed_everything

__all__ = ["halve_resolution", "tag_patches", "activation_floats", "compare", "print_table", "TagData",
           "bce_loss", "gru_parameter_count", "PAPER_FINDINGS"]

PAPER_FINDINGS = (
    "Choi et al. (2016), Million Song Dataset, 50 last.fm tags, 29-s clips: at every budget from 0.1 M "
    "to 3 M parameters the AUC ranked CRNN > k2c2 > k1c2 > k2c1, the CRNN being slower to train per "
    "sample (a memory-speed trade-off); the state of the art they compare with scored AUC .851 "
    "(as summarised in the seminar slides, seed 004; the paper's Table 1 figures were not retrieved)."
)


@checks.reference
def bce_loss(logits, y) -> float:
    """Mean binary cross-entropy of sigmoid(logits) against 0/1 targets, computed stably.

    logits, y: (n, n_tags). Per element: −[y log σ(z) + (1−y) log(1−σ(z))]
    = max(z, 0) − z·y + log(1 + e^(−|z|)), which never overflows.
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if z.shape != y.shape:
        raise ValueError(f"logits and y must have the same shape, got {z.shape} and {y.shape}")
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


@checks.reference
def gru_parameter_count(n_in: int, n_hidden: int, n_layers: int = 1) -> int:
    """Parameters of ``torch.nn.GRU(n_in, n_hidden, num_layers=n_layers)``: each layer has three
    gates, each with an input matrix, a hidden matrix and two bias vectors; layers after the first
    read the previous layer's n_hidden outputs."""
    total = 0
    for layer in range(n_layers):
        d = n_in if layer == 0 else n_hidden
        total += 3 * (n_hidden * d + n_hidden * n_hidden + 2 * n_hidden)
    return total


def halve_resolution(x: np.ndarray) -> np.ndarray:
    """Average 2×2 blocks of (…, n_mels, n_frames) spectrogram patches: (…, n_mels//2, n_frames//2).

    An odd last bin or frame is dropped. Works on log-mel values (averaging in the log domain).
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"expected patches (..., n_mels, n_frames), got shape {x.shape}")
    M, T = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    if M == 0 or T == 0:
        raise ValueError(f"patches of shape {x.shape} are too small to halve")
    x = x[..., :M, :T]
    return x.reshape(*x.shape[:-2], M // 2, 2, T // 2, 2).mean(axis=(-3, -1)).astype(np.float32)


@dataclass
class TagData:
    """Train / validation / test patches of a tag set plus what they came from."""
    train: object
    val: object
    test: object
    ds: object
    n_mels: int
    n_frames: int
    classes: list


def tag_patches(ds=None, *, half: bool = True, n_frames: int = 187, seed: int = 0) -> TagData:
    """Patches of a multi-label TrackSet (default: the offline ``mmteach.data.tag_set()``) for the
    80/10/10 split by track, MusiCNN pipeline, one 3-s patch per 187 frames, optionally at half
    resolution (see the module docstring). Models normalise their input themselves (input batch norm)."""
    from . import data

    ds = data.tag_set() if ds is None else ds
    if not ds.multilabel:
        raise ValueError(f"tag_patches needs a multi-label TrackSet, got the single-label set {ds.name!r}")
    parts = ds.splits(seed=seed)
    out = {}
    for name, idx in parts.items():
        p = data.make_patches(ds, "musicnn", n_frames, indices=idx)
        if half:
            p.x = halve_resolution(p.x)
        out[name] = p
    _, M, T = out["train"].x.shape
    return TagData(out["train"], out["val"], out["test"], ds, M, T, list(ds.classes))


def activation_floats(model, input_shape: tuple) -> int:
    """Numbers a forward pass of one example stores in the outputs of the model's leaf modules
    (convolutions, batch norms, activations, pools, GRU): a proxy for the training memory per
    sample, which back-propagation must keep."""
    import torch

    total = 0

    def hook(_module, _inp, out):
        nonlocal total
        outs = out if isinstance(out, (tuple, list)) else (out,)
        for o in outs:
            if isinstance(o, torch.Tensor):
                total += o.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            p = next(model.parameters())
            model(torch.zeros((1, *input_shape), dtype=p.dtype, device=p.device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return int(total)


def compare(architectures, budgets, data: TagData, *, epochs: int | None = None, batch_size: int = 32,
            lr: float = 0.003, seed: int = 0, progress: bool = True, fit_fn=None, auc_fn=None) -> list[dict]:
    """Train every architecture at every parameter budget on ``data`` and score it on the test set.

    Uses ``mmteach.train.fit`` (Adam, binary cross-entropy, the best epoch on validation kept).
    ``auc_fn(Y_true, Y_score)`` (default :func:`mmteach.metrics.macro_roc_auc`) scores the
    track-level predictions (mean of a track's patch probabilities). Returns one dict per run:
    ``model, budget, width, params, roc_auc, pr_auc, train_seconds, ms_per_sample`` (training time
    per sample, optimisation steps only, measured during fit), ``activations`` (floats per sample,
    forward pass), and ``history``, ``net``, ``Y_true``, ``Y_score`` (test tracks × tags) for plots.
    """
    from . import models, train

    predict = train.predict
    fit_fn = fit_fn or train.fit

    epochs = epochs if epochs is not None else pick(normal=8, quick=1)
    auc_fn = auc_fn or metrics.macro_roc_auc
    rows = []
    for name in architectures:
        for budget in budgets:
            seed_everything(seed)
            net = models.create(name, n_classes=len(data.classes), n_mels=data.n_mels, n_frames=data.n_frames,
                                budget=budget)
            start = time.perf_counter()
            hist = fit_fn(net, data.train, data.val, loss="bce", optimizer="adam", lr=lr, epochs=epochs,
                          batch_size=batch_size, halve_lr_on_plateau=False, seed=seed, progress=progress)
            seconds = time.perf_counter() - start
            probs = predict(net, data.test.x, multilabel=True)
            tracks = np.unique(data.test.track)
            Y_true = np.stack([data.test.y[data.test.track == t][0] for t in tracks])
            Y_score = np.stack([probs[data.test.track == t].mean(axis=0) for t in tracks])
            sps = getattr(hist, "samples_per_second", float("nan"))
            ms = 1000.0 / sps if sps and np.isfinite(sps) else 1000.0 * seconds / (len(data.train) * epochs)
            rows.append({
                "model": name, "budget": int(budget), "width": net.width,
                "params": models.count_parameters(net),
                "roc_auc": float(auc_fn(Y_true, Y_score)),
                "pr_auc": float(metrics.macro_pr_auc(Y_true, Y_score, tag_names=data.classes)),
                "train_seconds": seconds, "ms_per_sample": ms,
                "activations": activation_floats(net, (data.n_mels, data.n_frames)),
                "history": hist, "net": net, "Y_true": Y_true, "Y_score": Y_score,
            })
    return rows


def print_table(rows: list[dict]) -> None:
    """Print the rows of :func:`compare` as a table."""
    print(f"{'model':6} {'budget':>8} {'N':>4} {'params':>9} {'ROC-AUC':>8} {'PR-AUC':>7} {'ms/sample':>10} {'activations':>12}")
    for r in rows:
        print(f"{r['model']:6} {r['budget']:>8,} {r['width']:>4} {r['params']:>9,} {r['roc_auc']:>8.3f} "
              f"{r['pr_auc']:>7.3f} {r['ms_per_sample']:>10.2f} {r['activations']:>12,}")
