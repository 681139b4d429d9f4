"""Lesson 01 — supervised learning: softmax, cross-entropy, gradient descent, a ReLU MLP.

Notebook: ``lessons/01_supervised_learning``. Source: seed 004 (Fernandez, "Automatic Music
Classification"): hypothesis h, parametric model, cost J, softmax cross-entropy and its gradient
S(z) − y, gradient descent, the ReLU MLP, no free lunch.

Shapes: a batch of N examples with D features is ``X`` of shape (N, D); labels ``y`` are ints in
[0, C) of shape (N,); logits ``z`` are (N, C).

The data are short synthetic notes of four instrument-like timbres, described by 22 numbers each
(time-averaged log-mel band energies plus two loudness-envelope features), so the lesson needs
nothing downloaded.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from . import checks
from .core import device as _device, progress, seed_everything

TIMBRES = ("flute", "clarinet", "bowed string", "plucked string")
SR = 16000
N_BANDS = 20


# --------------------------------------------------------------------------- synthetic notes

def _midi_to_hz(m: float) -> float:
    return 440.0 * 2.0 ** ((m - 69.0) / 12.0)


def synth_note(timbre: str, pitch: float = 60, duration: float = 0.6, sr: int = SR,
               rng: np.random.Generator | None = None) -> np.ndarray:
    """A short note with an instrument-like timbre, float32 of shape (round(duration·sr),).

    ``timbre`` is one of :data:`TIMBRES`; ``pitch`` is a MIDI note number (60 = middle C).
    The four differ the way real instruments do: which harmonics sound (flute: mostly the
    fundamental; clarinet: odd harmonics; bowed string: all harmonics, falling as 1/k), and how
    the loudness evolves (a plucked string decays, the others sustain).
    """
    if timbre not in TIMBRES:
        raise ValueError(f"timbre must be one of {TIMBRES}, got {timbre!r}")
    if duration <= 0 or sr <= 0:
        raise ValueError(f"duration and sr must be positive, got duration={duration}, sr={sr}")
    rng = rng or np.random.default_rng(0)
    n = int(round(duration * sr))
    t = np.arange(n) / sr
    f0 = _midi_to_hz(pitch)
    vibrato = 1.0 + rng.uniform(0.0, 0.006) * np.sin(2 * np.pi * rng.uniform(4.5, 6.5) * t)
    phase = 2 * np.pi * f0 * np.cumsum(vibrato) / sr
    brightness = rng.uniform(0.7, 1.3)
    y = np.zeros(n)
    n_harm = max(1, int((sr / 2) // f0))
    for k in range(1, min(n_harm, 30) + 1):
        if timbre == "flute":
            amp = 1.0 if k == 1 else 0.12 * brightness / k**2
        elif timbre == "clarinet":
            amp = (1.0 / k) * brightness ** (k / 4) if k % 2 == 1 else 0.02 / k
        elif timbre == "bowed string":
            amp = (1.0 / k) * brightness ** (k / 6)
        else:  # plucked: bright attack, upper harmonics die first
            amp = (1.0 / k) * np.exp(-t * (2.0 + 1.5 * k) / brightness)
        y += amp * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    if timbre == "plucked string":
        env = np.exp(-t * rng.uniform(4.0, 7.0)) * (1 - np.exp(-t / 0.002))
    else:
        attack = {"flute": 0.08, "clarinet": 0.03, "bowed string": 0.12}[timbre] * rng.uniform(0.6, 1.4)
        env = np.minimum(1.0, t / attack) * np.minimum(1.0, (duration - t) / 0.05)
    y = y * env
    if timbre == "flute":
        y += 0.03 * rng.standard_normal(n) * env  # breath
    # Recording conditions differ from note to note: a duller or brighter microphone (one-pole
    # low-pass with a random cut-off) and some background noise. They blur the classes on purpose.
    cutoff = rng.uniform(1500.0, sr / 2 * 0.9)
    a = np.exp(-2 * np.pi * cutoff / sr)
    from scipy.signal import lfilter

    y = lfilter([1 - a], [1, -a], y)
    y /= np.max(np.abs(y)) + 1e-12
    y += 10 ** (-rng.uniform(15, 35) / 20) * rng.standard_normal(n)
    y /= np.max(np.abs(y)) + 1e-12
    return (y * rng.uniform(0.3, 0.9)).astype(np.float32)


@functools.lru_cache(maxsize=4)
def _mel_basis(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmax=sr / 2)


def timbre_features(y: np.ndarray, sr: int = SR) -> np.ndarray:
    """22 numbers describing a note: 20 log-mel band energies averaged over time (relative to the
    loudest band) and 2 envelope features (attack time ×10 in s, end/peak loudness ratio).

    Returns float32 of shape (22,).
    """
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or not 1000 <= sr <= 384000:
        raise ValueError(f"sample rate sr must be an int between 1000 and 384000 Hz, got {sr!r}")
    y = _numbers(y, "audio").astype(np.float32)
    if y.ndim != 1 or y.size < 1024:
        raise ValueError(f"expected mono audio of at least 1024 samples, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("audio contains NaN or infinity")
    n_fft, hop = 1024, 256
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop]
    power = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)) ** 2       # (T, n_fft/2+1)
    bands = np.log10(1e-6 + (power.mean(axis=0) @ _mel_basis(sr, n_fft, N_BANDS).T))
    bands = bands - bands.max()
    rms = np.sqrt(np.mean(np.lib.stride_tricks.sliding_window_view(y, 512)[::128] ** 2, axis=1))
    peak = int(np.argmax(rms))
    attack = peak * 128 / sr
    sustain = float(rms[-max(1, len(rms) // 8):].mean() / (rms[peak] + 1e-12))
    return np.concatenate([bands, [attack * 10.0, sustain]]).astype(np.float32)


@dataclass
class TimbreData:
    """Features ``X`` (N, 22) float32, labels ``y`` (N,) int64, ``classes``, and per-note ``pitch``."""

    X: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...]
    pitch: np.ndarray
    seed: int = 0
    feature_names: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.y)

    def note(self, i: int) -> np.ndarray:
        """Re-synthesise note ``i`` (same seed, same sound) to listen to it."""
        rng = np.random.default_rng([self.seed, int(i)])
        return synth_note(self.classes[int(self.y[i])], float(self.pitch[i]), rng=rng)


def make_timbre_data(n_per_class: int = 150, seed: int = 0) -> TimbreData:
    """Synthesise ``n_per_class`` notes of each timbre at random pitches (MIDI 48–84) and
    describe each with :func:`timbre_features`."""
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be at least 1, got {n_per_class}")
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(TIMBRES)), n_per_class)
    labels = labels[rng.permutation(len(labels))]
    pitches = rng.uniform(48, 84, size=len(labels)).round()
    feats = []
    for i, (lab, p) in enumerate(zip(labels, pitches)):
        note = synth_note(TIMBRES[lab], p, rng=np.random.default_rng([seed, i]))
        feats.append(timbre_features(note))
    names = [f"band {b}" for b in range(N_BANDS)] + ["attack (x10 s)", "end/peak loudness"]
    return TimbreData(np.stack(feats), labels.astype(np.int64), TIMBRES, pitches, seed, names)


def standardise(X_train: np.ndarray, *others: np.ndarray):
    """Scale every feature to zero mean and unit variance using the *training* statistics only.

    Returns ``(X_train_scaled, *others_scaled)``.
    """
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0) + 1e-8
    return tuple((a - mean) / std for a in (X_train, *others))


# --------------------------------------------------------------------------- exercise answers

def _numbers(x, what: str) -> np.ndarray:
    """``x`` as a float64 array, or a TypeError that says numbers were expected."""
    arr = np.asarray(x)
    if arr.dtype == object or np.issubdtype(arr.dtype, np.complexfloating) or not (
            np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{what} must be an array of numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _check_logits(z) -> np.ndarray:
    z = _numbers(z, "logits")
    if z.ndim < 1 or z.shape[-1] == 0:
        raise ValueError(f"expected logits with a non-empty last axis (classes), got shape {z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError("logits contain NaN or infinity")
    return z


@checks.reference
def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis: S(z)_c = exp(z_c) / Σ_k exp(z_k). Same shape as ``z``.

    Subtracting the row maximum first changes nothing mathematically but keeps exp() from
    overflowing for large logits.
    """
    z = _check_logits(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _check_labels(y, n: int, c: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labels must be a 1-D array of class indices, got shape {y.shape}")
    if y.shape != (n,):
        raise ValueError(f"expected labels of shape ({n},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be integers (class indices), got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= c):
        raise ValueError(f"labels must lie in [0, {c}), got values from {y.min()} to {y.max()}")
    return y


def _check_2d_logits(z) -> np.ndarray:
    z = _check_logits(z)
    if z.ndim != 2:
        raise ValueError(f"expected logits of shape (N, C), got {z.shape}")
    if z.shape[0] == 0:
        raise ValueError("expected at least one example (N ≥ 1): the mean over an empty batch is undefined")
    return z


@checks.reference
def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """(N,) integer labels → (N, n_classes) float64 rows with a single 1."""
    y = np.asarray(y)
    y = _check_labels(y, y.shape[0] if y.ndim == 1 else -1, n_classes)
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), y] = 1.0
    return out


@checks.reference
def cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy J = (1/N) Σ_i −log S(z_i)_{y_i} for logits (N, C) and labels (N,).

    Computed as logsumexp(z_i) − z_{i,y_i}, which never takes the log of an underflowed 0.
    """
    z = _check_2d_logits(z)
    y = _check_labels(y, z.shape[0], z.shape[1])
    m = z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return float(np.mean(lse - z[np.arange(len(y)), y]))


@checks.reference
def cross_entropy_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂J/∂z for the mean cross-entropy: (S(z) − onehot(y)) / N, shape (N, C)."""
    z = _check_2d_logits(z)
    y = _check_labels(y, z.shape[0], z.shape[1])
    return (softmax(z) - one_hot(y, z.shape[1])) / z.shape[0]


@checks.reference
def gradient_descent_step(W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray, lr: float):
    """One gradient-descent step for softmax regression z = X W + b.

    W (D, C), b (C,), X (N, D), y (N,). Returns the new ``(W, b)`` (new arrays) after
    W ← W − lr·Xᵀ g and b ← b − lr·Σ_i g_i, where g = ∂J/∂z.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or W.shape != (X.shape[1], b.shape[0]):
        raise ValueError(f"shapes do not fit: X {X.shape}, W {W.shape}, b {b.shape}; expected X (N, D), W (D, C), b (C,)")
    g = cross_entropy_grad(X @ W + b, y)
    return W - lr * (X.T @ g), b - lr * g.sum(axis=0)


def train_softmax_regression(X, y, n_classes: int, lr: float = 0.5, epochs: int = 200,
                             step=None, seed: int = 0):
    """Full-batch gradient descent from small random weights.

    ``step`` is the update function (default: :func:`gradient_descent_step`; the lesson passes the
    learner's own). Returns ``(W, b, losses)`` with one loss per epoch.
    """
    step = step or gradient_descent_step
    rng = np.random.default_rng(seed)
    W = 0.01 * rng.standard_normal((X.shape[1], n_classes))
    b = np.zeros(n_classes)
    losses = []
    for _ in range(epochs):
        losses.append(cross_entropy(X @ W + b, y))
        W, b = step(W, b, X, y, lr)
    return W, b, np.array(losses)


@checks.reference
def split_indices(n: int, fractions=(0.6, 0.2, 0.2), seed: int = 0):
    """Shuffle ``range(n)`` with ``seed`` and cut it into train/validation/test index arrays.

    Sizes are floor(n·f_train), floor(n·f_val) and the rest. Returns a tuple of three int arrays
    that are disjoint and together cover 0..n−1.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise TypeError(f"n must be a non-negative int (the number of examples), got {type(n).__name__} {n!r:.40}")
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    perm = np.random.default_rng(seed).permutation(n)
    n_train = int(np.floor(n * fractions[0]))
    n_val = int(np.floor(n * fractions[1]))
    return perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]


@checks.reference
def make_mlp(n_in: int, n_hidden: int, n_out: int):
    """A one-hidden-layer ReLU network: Linear(n_in, n_hidden) → ReLU → Linear(n_hidden, n_out).

    Outputs logits (no softmax: ``torch.nn.CrossEntropyLoss`` applies it). Parameters:
    n_in·n_hidden + n_hidden + n_hidden·n_out + n_out.
    """
    import torch.nn as nn

    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_out))


def accuracy(y_true, y_pred) -> float:
    """Fraction of equal entries."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shapes differ: {y_true.shape} vs {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return float(np.mean(y_true == y_pred))


# --------------------------------------------------------------------------- training the MLP

@dataclass
class MLPHistory:
    """Per-epoch curves from :func:`train_mlp`."""

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)

    def plot(self, axes=None, title: str = ""):
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(10, 3.2))
        ep = np.arange(1, len(self.train_loss) + 1)
        axes[0].plot(ep, self.train_loss, label="training")
        axes[0].plot(ep, self.val_loss, label="validation")
        axes[0].set(xlabel="epoch", ylabel="cross-entropy", title=f"{title} loss".strip())
        axes[1].plot(ep, self.train_acc, label="training")
        axes[1].plot(ep, self.val_acc, label="validation")
        axes[1].set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02), title=f"{title} accuracy".strip())
        for ax in axes:
            ax.legend()
        return axes


def train_mlp(model, X_train, y_train, X_val, y_val, *, epochs: int = 100, lr: float = 0.05,
              batch_size: int = 32, weight_decay: float = 0.0, seed: int = 0, device=None,
              show_progress: bool = True) -> MLPHistory:
    """Minibatch SGD (momentum 0.9) on cross-entropy; evaluates on the validation set every epoch.

    Arrays: X (N, D) float, y (N,) int. The model and data move to ``device`` (default:
    :func:`mmteach.device`). Returns an :class:`MLPHistory`.
    """
    import torch

    seed_everything(seed)
    dev = device or _device()
    model = model.to(dev)
    Xt = torch.as_tensor(np.asarray(X_train), dtype=torch.float32, device=dev)
    yt = torch.as_tensor(np.asarray(y_train), dtype=torch.long, device=dev)
    Xv = torch.as_tensor(np.asarray(X_val), dtype=torch.float32, device=dev)
    yv = torch.as_tensor(np.asarray(y_val), dtype=torch.long, device=dev)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss()
    hist = MLPHistory()
    gen = torch.Generator().manual_seed(seed)
    for _ in progress(range(epochs), desc="epochs", disable=not show_progress):
        model.train()
        order = torch.randperm(len(Xt), generator=gen).to(dev)
        for start in range(0, len(Xt), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            zt, zv = model(Xt), model(Xv)
            hist.train_loss.append(float(loss_fn(zt, yt)))
            hist.val_loss.append(float(loss_fn(zv, yv)))
            hist.train_acc.append(float((zt.argmax(1) == yt).float().mean()))
            hist.val_acc.append(float((zv.argmax(1) == yv).float().mean()))
    return hist


def predict_classes(model, X) -> np.ndarray:
    """Class index with the highest logit for each row of X (N, D) → (N,)."""
    import torch

    dev = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(np.asarray(X), dtype=torch.float32, device=dev)).argmax(1).cpu().numpy()


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Counts (n_classes, n_classes): row = true class, column = predicted class."""
    cm = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm
