"""Musically motivated CNNs of Jordi Pons and colleagues (lessons 04 and 05).

Seed 002 (Pons, Lidy & Serra, "Experimenting with musically motivated convolutional neural
networks", CBMI 2016; blog post "Towards adapting CNNs for music spectrograms"), input
40 mel bands × 80 frames, 8 classes:

==================  ====================  ===========
registered name     class                 parameters
==================  ====================  ===========
``black-box``       :class:`BlackBox`       3,275,312
``time``            :class:`Time`               7,336
``frequency``       :class:`Frequency`          3,368
``time-frequency``  :class:`TimeFrequency`    196,816
==================  ====================  ===========

Seed 003 (Pons & Serra, "Designing efficient architectures for modeling temporal features with
CNNs", ICASSP 2017), input 40 mel bands × 250 frames, 8 classes:

==================  ==========================================  ===========
registered name     model                                       parameters
==================  ==========================================  ===========
``o-net``           :class:`ONet` (= ``TemporalNet(1, 0)``)         4,188
``p-net``           :class:`PNet` (= ``TemporalNet(0, 1)``)         7,428
``2o``              ``TemporalNet(2, 0)``                           8,368
``o+p``             ``TemporalNet(1, 1)``                          11,608
``2p``              ``TemporalNet(0, 2)``                          14,848
``2o+2p``           ``TemporalNet(2, 2)``                          23,208
``4o+4p``           ``TemporalNet(4, 4)``                          46,408
``8o+8p``           ``TemporalNet(8, 8)``                          92,808
==================  ==========================================  ===========

Conventions (as everywhere in mmteach): input ``(batch, n_mels, n_frames)``, a filter or pool
shape written ``m×n`` is (frequency × time), all convolutions are "valid" (no padding), max-pools
drop an incomplete last window, every model returns *logits* ``(batch, n_classes)`` — the
softmax of the papers is applied by the loss (``torch.nn.functional.cross_entropy``) or by
:func:`mmteach.train.predict`. Hidden layers use ReLU; dropout 0.5 sits before each dense
layer, as in the original Lasagne code. Weights start as in that code: Glorot-uniform (seed 002;
seed 003's dense layer too) or He-uniform (seed 003's filters), with zero biases.

The parameter arithmetic is spelled out by :func:`conv_params`, :func:`dense_params`,
:func:`pooled_size` and :func:`table_params`, which lessons 04 and 05 ask learners to write.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .. import checks
from . import register

__all__ = [
    "BlackBox", "Time", "Frequency", "TimeFrequency", "TemporalNet", "ONet", "PNet",
    "ONET_LENGTHS", "PNET_LENGTHS", "ONET_FILTERS_PER_LENGTH", "PNET_FILTERS_PER_LENGTH",
    "conv_params", "dense_params", "pooled_size", "table_params", "onet_lengths", "pnet_lengths",
    "temporal_net_params", "design_lengths", "autocorrelation", "dominant_period", "SEED002_PARAMS", "SEED003_PARAMS", "SEED002_ACCURACY", "SEED003_ACCURACY",
]

SEED002 = "Pons, Lidy & Serra, CBMI 2016 (seed 002, Table 1)"
SEED003 = "Pons & Serra, ICASSP 2017 (seed 003, results table)"

#: Parameter counts of the published tables (the tests assert every one).
SEED002_PARAMS = {"black-box": 3_275_312, "time": 7_336, "frequency": 3_368, "time-frequency": 196_816}
SEED003_PARAMS = {"o-net": 4_188, "p-net": 7_428, "2o": 8_368, "o+p": 11_608, "2p": 14_848,
                  "2o+2p": 23_208, "4o+4p": 46_408, "8o+8p": 92_808}
#: Reported accuracies on Ballroom, 10-fold CV, mean and std in % (seed 002, Table 1).
SEED002_ACCURACY = {"black-box": (87.25, 3.39), "time-frequency": (86.54, 4.29), "time": (81.79, 4.72),
                    "frequency": (59.59, 5.82)}
#: Reported accuracies (%) of seed 003 with non-overlapping (hop 250) / overlapping (hop 80) patches.
SEED003_ACCURACY = {"o-net": (76.66, 85.24), "p-net": (83.95, 89.26), "2o": (81.53, 86.54),
                    "o+p": (87.25, 89.68), "2p": (85.67, 89.11), "2o+2p": (87.25, 91.27),
                    "4o+4p": (88.82, 91.55), "8o+8p": (88.68, 92.27)}

# O-net: 5 filters for each length 6, 11, ..., 41 frames (up to one beat at 60 bpm, ~43 frames);
# P-net: 1 filter for each length 46, 51, ..., 216 frames (up to five beats at 60 bpm).
ONET_LENGTHS = tuple(range(6, 42, 5))
PNET_LENGTHS = tuple(range(46, 217, 5))
ONET_FILTERS_PER_LENGTH = 5
PNET_FILTERS_PER_LENGTH = 1


# --------------------------------------------------------------------------------------------
# Parameter arithmetic (exercise answers in lessons 04 and 05)
# --------------------------------------------------------------------------------------------

@checks.reference
def conv_params(n_filters: int, m: int, n: int, in_channels: int = 1) -> int:
    """Trainable parameters of a conv layer: ``n_filters`` kernels of ``in_channels × m × n``
    weights (frequency m, time n), plus one bias per filter."""
    for name, v in (("n_filters", n_filters), ("m", m), ("n", n), ("in_channels", in_channels)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer; got {v!r}")
    return int(n_filters) * (int(in_channels) * int(m) * int(n) + 1)


@checks.reference
def dense_params(n_in: int, n_out: int) -> int:
    """Trainable parameters of a fully connected layer: an ``n_in × n_out`` matrix and ``n_out`` biases."""
    for name, v in (("n_in", n_in), ("n_out", n_out)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer; got {v!r}")
    return int(n_in) * int(n_out) + int(n_out)


@checks.reference
def pooled_size(size: int, kernel: int, pool: int) -> int:
    """Length of one axis after a valid convolution with a ``kernel``-long filter (``size − kernel + 1``)
    and a non-overlapping max-pool of ``pool`` (incomplete last window dropped)."""
    return _pooled(size, kernel, pool)


def _pooled(size: int, kernel: int, pool: int) -> int:
    if kernel > size:
        raise ValueError(f"a filter of length {kernel} does not fit an input of length {size}")
    if pool < 1:
        raise ValueError(f"pool must be >= 1; got {pool}")
    return (size - kernel + 1) // pool


@checks.reference
def table_params(name: str, n_mels: int = 40, n_frames: int = 80, n_classes: int = 8) -> int:
    """Parameter count of a seed-002 model worked out by hand (no torch): ``name`` in
    ``black-box``, ``time``, ``frequency``, ``time-frequency``."""
    def time_branch():
        return conv_params(32, 1, 60), 32 * pooled_size(n_mels, 1, n_mels) * pooled_size(n_frames, 60, 1)

    def freq_branch():
        return conv_params(32, 32, 1), 32 * pooled_size(n_mels, 32, 1) * pooled_size(n_frames, 1, n_frames)

    key = name.lower()
    if key == "black-box":
        feats = 32 * pooled_size(n_mels, 12, 4) * pooled_size(n_frames, 8, 1)
        return conv_params(32, 12, 8) + dense_params(feats, 200) + dense_params(200, n_classes)
    if key == "time":
        p, f = time_branch()
        return p + dense_params(f, n_classes)
    if key == "frequency":
        p, f = freq_branch()
        return p + dense_params(f, n_classes)
    if key == "time-frequency":
        (pt, ft), (pf, ff) = time_branch(), freq_branch()
        return pt + pf + dense_params(ft + ff, 200) + dense_params(200, n_classes)
    raise KeyError(f"unknown seed-002 model {name!r}; expected one of {list(SEED002_PARAMS)}")


@checks.reference
def onet_lengths() -> list[int]:
    """O-net filter lengths in frames: 6, 11, ..., 41 (5 apart, below one beat at 60 bpm)."""
    return list(ONET_LENGTHS)


@checks.reference
def pnet_lengths() -> list[int]:
    """P-net filter lengths in frames: 46 + 5f for f = 0..34, i.e. 46, 51, ..., 216."""
    return list(PNET_LENGTHS)


@checks.reference
def temporal_net_params(n_onet: int, n_pnet: int, n_mels: int = 40, n_classes: int = 8, band: int = 4) -> int:
    """Parameters of ``n_onet`` O-nets + ``n_pnet`` P-nets side by side, each filter pooled to
    ``n_mels // band`` sub-band values, followed by one softmax layer of ``n_classes`` units."""
    sub_bands = n_mels // band
    o_conv = sum(conv_params(ONET_FILTERS_PER_LENGTH, 1, n) for n in ONET_LENGTHS)
    p_conv = sum(conv_params(PNET_FILTERS_PER_LENGTH, 1, n) for n in PNET_LENGTHS)
    n_filters = (n_onet * ONET_FILTERS_PER_LENGTH * len(ONET_LENGTHS)
                 + n_pnet * PNET_FILTERS_PER_LENGTH * len(PNET_LENGTHS))
    if n_filters == 0:
        raise ValueError("at least one O-net or P-net is needed")
    return n_onet * o_conv + n_pnet * p_conv + dense_params(n_filters * sub_bands, n_classes)


@checks.reference
def design_lengths(n_beat: float, step: int = 5, first: int = 6, n_beats_long: int = 5) -> tuple[list[int], list[int]]:
    """Seed 003's filter lengths from the number of frames in one beat at the slowest tempo.

    O-net: ``first, first + step, ...`` while shorter than one beat (``< n_beat``) — onsets and
    sub-beat patterns. P-net: continuing the same grid up to ``1 + n_beats_long · n_beat`` frames —
    patterns of up to five beats. With ``n_beat = 43`` (60 bpm, 44.1 kHz, hop 1024):
    O = 6, 11, ..., 41 and P = 46, 51, ..., 216.
    """
    if not n_beat > first:
        raise ValueError(f"n_beat must exceed the first length {first}; got {n_beat}")
    onet = list(range(first, int(math.ceil(n_beat)), step))
    onet = [n for n in onet if n < n_beat]
    longest = 1 + n_beats_long * n_beat
    pnet = list(range(onet[-1] + step, int(math.floor(longest)) + 1, step))
    return onet, pnet


@checks.reference
def autocorrelation(w) -> np.ndarray:
    """Normalised autocorrelation of a 1-D filter: ``r[k] = Σ_t v_t v_{t+k} / Σ_t v_t²`` with
    ``v = w − mean(w)``, for lags ``k = 0 … n−1`` (``r[0] = 1``; all zeros for a constant filter)."""
    v = np.asarray(w, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("the filter is empty")
    v = v - v.mean()
    energy = float(np.dot(v, v))
    if energy == 0.0:
        return np.zeros(v.size)
    full = np.correlate(v, v, mode="full")[v.size - 1:]
    return full / energy


@checks.reference
def dominant_period(w, min_lag: int = 3, max_lag: int | None = None) -> int:
    """The lag (in frames) of the strongest local maximum of :func:`autocorrelation` of ``w``
    between ``min_lag`` and ``max_lag`` (default: half the filter length), or 0 if there is none.

    A local maximum is a lag k with ``r[k-1] < r[k] >= r[k+1]``; a filter made of clicks every p
    frames has its strongest one at k = p.
    """
    r = autocorrelation(w)
    n = r.size
    hi = n // 2 if max_lag is None else min(int(max_lag), n - 2)
    best, best_val = 0, -np.inf
    for k in range(max(int(min_lag), 1), hi + 1):
        if r[k - 1] < r[k] >= r[k + 1] and r[k] > best_val:
            best, best_val = k, r[k]
    return int(best)


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------

def _check_input(x: torch.Tensor, n_mels: int, n_frames: int | None, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} expects a torch tensor (batch, n_mels, n_frames); got {type(x).__name__}")
    if x.ndim != 3:
        raise ValueError(f"{name} expects input (batch, n_mels, n_frames) = (batch, {n_mels}, "
                         f"{n_frames if n_frames else 'n_frames'}); got shape {tuple(x.shape)}")
    if x.shape[1] != n_mels or (n_frames is not None and x.shape[2] != n_frames):
        raise ValueError(f"{name} was built for patches of {n_mels} mel bands × "
                         f"{n_frames if n_frames else 'any number of'} frames; got {tuple(x.shape[1:])}")
    return x.unsqueeze(1)  # (batch, 1 channel, n_mels, n_frames)


def _init(module: nn.Module, scheme: str) -> None:
    """Lasagne's initialisation: ``scheme`` ("glorot" or "he") for conv layers, Glorot uniform
    (Lasagne's default) for dense layers, zero biases."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if scheme == "glorot" or isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
            else:
                nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)


class TimeBranch(nn.Module):
    """32 temporal filters 1×60 → ReLU → max-pool over all mel bands (n_mels×1).

    ``(batch, 1, n_mels, n_frames)`` → features ``(batch, 32 · (n_frames − 59))``; with 80 frames,
    672 features: 21 time steps per filter, each "how strongly this rhythm snippet appears in
    any band".
    """

    def __init__(self, n_mels: int = 40, n_filters: int = 32, length: int = 60):
        super().__init__()
        self.conv = nn.Conv2d(1, n_filters, kernel_size=(1, length))
        self.pool = nn.MaxPool2d(kernel_size=(n_mels, 1))

    def forward(self, x):
        return torch.flatten(self.pool(torch.relu(self.conv(x))), 1)


class FrequencyBranch(nn.Module):
    """32 spectral filters 32×1 → ReLU → max-pool over all frames (1×n_frames).

    ``(batch, 1, n_mels, n_frames)`` → features ``(batch, 32 · (n_mels − 31))``; with 40 mel bands,
    288 features: 9 pitch positions per filter, each "how strongly this timbre shape appears at
    any moment".
    """

    def __init__(self, n_frames: int = 80, n_filters: int = 32, height: int = 32):
        super().__init__()
        self.conv = nn.Conv2d(1, n_filters, kernel_size=(height, 1))
        self.pool = nn.MaxPool2d(kernel_size=(1, n_frames))

    def forward(self, x):
        return torch.flatten(self.pool(torch.relu(self.conv(x))), 1)


# --------------------------------------------------------------------------------------------
# Seed 002
# --------------------------------------------------------------------------------------------

@register("black-box", source=SEED002)
class BlackBox(nn.Module):
    """Black-box baseline (Pons et al. 2016, seed 002, Figure 2 / Table 1): 3,275,312 parameters.

    conv 32 × (12×8) → ReLU → max-pool 4×1 → dropout 0.5 → dense 200 ReLU → dropout 0.5 →
    dense ``n_classes``. Input ``(batch, n_mels=40, n_frames=80)``, output logits
    ``(batch, n_classes)``. The filter shape has no musical reason; 29×73 map → 7×73 after the pool,
    so the dense layer sees 32·7·73 = 16,352 features: almost all parameters live there.
    """

    def __init__(self, n_classes: int = 8, n_mels: int = 40, n_frames: int = 80, dropout: float = 0.5):
        super().__init__()
        self.n_mels, self.n_frames = n_mels, n_frames
        self.conv = nn.Conv2d(1, 32, kernel_size=(12, 8))
        self.pool = nn.MaxPool2d(kernel_size=(4, 1))
        n_feat = 32 * _pooled(n_mels, 12, 4) * _pooled(n_frames, 8, 1)
        self.dense = nn.Linear(n_feat, 200)
        self.out = nn.Linear(200, n_classes)
        self.drop = nn.Dropout(dropout)
        _init(self, "glorot")

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(_check_input(x, self.n_mels, self.n_frames, "BlackBox"))))
        h = torch.relu(self.dense(self.drop(torch.flatten(h, 1))))
        return self.out(self.drop(h))


@register("time", source=SEED002)
class Time(nn.Module):
    """Time architecture (Pons et al. 2016, seed 002, Figure 1 upper branch): 7,336 parameters.

    conv 32 × (1×60) → ReLU → max-pool 40×1 (all bands) → dropout 0.5 → dense ``n_classes``.
    Input ``(batch, n_mels=40, n_frames=80)``, output logits ``(batch, n_classes)``. Filters one
    mel band high and 60 frames (≈ 1.4 s) long can only learn temporal cues: onsets, rhythm, tempo.
    """

    def __init__(self, n_classes: int = 8, n_mels: int = 40, n_frames: int = 80, dropout: float = 0.5):
        super().__init__()
        self.n_mels, self.n_frames = n_mels, n_frames
        self.branch = TimeBranch(n_mels)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(32 * _pooled(n_frames, 60, 1), n_classes)
        _init(self, "glorot")

    def forward(self, x):
        return self.out(self.drop(self.branch(_check_input(x, self.n_mels, self.n_frames, "Time"))))


@register("frequency", source=SEED002)
class Frequency(nn.Module):
    """Frequency architecture (Pons et al. 2016, seed 002, Figure 1 lower branch): 3,368 parameters.

    conv 32 × (32×1) → ReLU → max-pool 1×80 (all frames) → dropout 0.5 → dense ``n_classes``.
    Input ``(batch, n_mels=40, n_frames=80)``, output logits ``(batch, n_classes)``. Filters one
    frame wide and 32 bands high see spectral shape (timbre, pitch), which may slide over the 9
    frequency positions; the pool over time throws away all temporal order.
    """

    def __init__(self, n_classes: int = 8, n_mels: int = 40, n_frames: int = 80, dropout: float = 0.5):
        super().__init__()
        self.n_mels, self.n_frames = n_mels, n_frames
        self.branch = FrequencyBranch(n_frames)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(32 * _pooled(n_mels, 32, 1), n_classes)
        _init(self, "glorot")

    def forward(self, x):
        return self.out(self.drop(self.branch(_check_input(x, self.n_mels, self.n_frames, "Frequency"))))


@register("time-frequency", source=SEED002)
class TimeFrequency(nn.Module):
    """Time-Frequency architecture (Pons et al. 2016, seed 002, Figure 1): 196,816 parameters.

    The Time and Frequency branches side by side on the same input, their 672 + 288 = 960
    features concatenated (late fusion) → dropout 0.5 → dense 200 ReLU → dropout 0.5 → dense
    ``n_classes``. Input ``(batch, n_mels=40, n_frames=80)``, output logits ``(batch, n_classes)``.
    """

    def __init__(self, n_classes: int = 8, n_mels: int = 40, n_frames: int = 80, dropout: float = 0.5):
        super().__init__()
        self.n_mels, self.n_frames = n_mels, n_frames
        self.time = TimeBranch(n_mels)
        self.frequency = FrequencyBranch(n_frames)
        n_feat = 32 * _pooled(n_frames, 60, 1) + 32 * _pooled(n_mels, 32, 1)
        self.dense = nn.Linear(n_feat, 200)
        self.out = nn.Linear(200, n_classes)
        self.drop = nn.Dropout(dropout)
        _init(self, "glorot")

    def forward(self, x):
        x = _check_input(x, self.n_mels, self.n_frames, "TimeFrequency")
        h = torch.cat([self.time(x), self.frequency(x)], dim=1)
        h = torch.relu(self.dense(self.drop(h)))
        return self.out(self.drop(h))


# --------------------------------------------------------------------------------------------
# Seed 003
# --------------------------------------------------------------------------------------------

class TemporalFilters(nn.Module):
    """``per_length`` filters 1×n for each n in ``lengths`` → ReLU → max-pool (``band``×whole time).

    ``(batch, 1, n_mels, n_frames)`` → ``(batch, per_length·len(lengths), n_mels // band)``:
    for every filter, its strongest response anywhere in time within each group of ``band``
    mel bands ("sub-band analysis"). One conv layer per length, named ``len{n}``.
    """

    def __init__(self, lengths, per_length: int, band: int = 4):
        super().__init__()
        self.lengths = tuple(int(n) for n in lengths)
        self.band = band
        self.convs = nn.ModuleDict({f"len{n}": nn.Conv2d(1, per_length, kernel_size=(1, n)) for n in self.lengths})

    def forward(self, x):
        outs = []
        for conv in self.convs.values():
            h = torch.relu(conv(x))                                   # (B, k, n_mels, T - n + 1)
            h = h.amax(dim=3)                                         # max over all of time
            b, k, m = h.shape
            h = h[:, :, : (m // self.band) * self.band]
            outs.append(h.reshape(b, k, m // self.band, self.band).amax(dim=3))  # max within sub-band
        return torch.cat(outs, dim=1)


def _fast_temporal(x: torch.Tensor, nets, band: int, chunk: int = 16) -> torch.Tensor:
    """Responses of every filter in ``nets`` (TemporalFilters modules), pooled: ``(B, K, n_mels // band)``.

    ``x`` is ``(B, n_mels, T)``. All filters are right-padded with zeros to the longest length L
    and correlated in one ``conv1d`` call over the mel bands treated as separate rows; positions
    where a shorter filter would hang over the end of the patch are masked out (they do not exist
    in a valid convolution), so the result equals the per-length valid convolutions exactly.
    """
    import torch.nn.functional as F

    weights, biases, lengths = [], [], []
    for net in nets:
        for n, conv in zip(net.lengths, net.convs.values()):
            weights.append(conv.weight.reshape(conv.weight.shape[0], n))
            biases.append(conv.bias)
            lengths += [n] * conv.weight.shape[0]
    L, n_min = max(lengths), min(lengths)
    W = torch.cat([F.pad(w, (0, L - w.shape[1])) for w in weights])          # (K, L)
    bias = torch.cat(biases)                                                  # (K,)
    B, M, T = x.shape
    S = M // band
    xp = F.pad(x, (0, L - n_min))                                             # (B, M, T + L - n_min)
    n_pos = T - n_min + 1
    lens = torch.tensor(lengths, device=x.device)
    invalid = torch.arange(n_pos, device=x.device)[None, :] > (T - lens)[:, None]   # (K, n_pos)
    best_val, best_t = [], []
    with torch.no_grad():
        Wd = W.detach()[:, None, :]
        for s in range(0, B, chunk):
            rows = xp[s:s + chunk, : S * band].reshape(-1, 1, xp.shape[2])
            c = F.conv1d(rows, Wd).masked_fill_(invalid, float("-inf"))       # (b·M', K, n_pos)
            v, t = c.max(dim=2)                                               # best time per band
            best_val.append(v)
            best_t.append(t)
    v = torch.cat(best_val).reshape(B, S, band, -1)                           # (B, S, band, K)
    t = torch.cat(best_t).reshape(B, S, band, -1)
    v, b_in = v.max(dim=2)                                                    # best band per sub-band
    if torch.is_grad_enabled() and W.requires_grad:
        t_star = t.gather(2, b_in[:, :, None, :])[:, :, 0, :]                 # (B, S, K)
        m_star = b_in + band * torch.arange(S, device=x.device)[None, :, None]
        windows = xp.unfold(2, L, 1)                                          # (B, M, n_pos, L) view
        bi = torch.arange(B, device=x.device)[:, None, None]
        win = windows[bi, m_star, t_star]                                     # (B, S, K, L)
        v = (win * W[None, None]).sum(dim=3)
    return torch.relu(v + bias).transpose(1, 2)                               # (B, K, S)


class TemporalNet(nn.Module):
    """``n_onet`` O-nets and ``n_pnet`` P-nets side by side (Pons & Serra 2017, seed 003).

    O-net ("onsets"): 5 filters 1×n for each n in 6, 11, ..., 41 frames (40 filters, all shorter
    than one beat at 60 bpm ≈ 43 frames). P-net ("patterns"): 1 filter 1×n for each n in 46, 51,
    ..., 216 frames (35 filters, up to five beats at 60 bpm). Each filter → ReLU → max-pool
    4 bands × all frames (10 sub-band values for 40 mel bands) → all concatenated → dropout 0.5 →
    dense ``n_classes``. Input ``(batch, n_mels=40, n_frames=250)``, output logits
    ``(batch, n_classes)``. Parameters (40 × 250, 8 classes): O 4,188; P 7,428; 2O 8,368;
    O+P 11,608; 2P 14,848; 2O+2P 23,208; 4O+4P 46,408; 8O+8P 92,808.
    """

    def __init__(self, n_onet: int = 1, n_pnet: int = 1, n_classes: int = 8, n_mels: int = 40,
                 n_frames: int = 250, dropout: float = 0.5, band: int = 4):
        super().__init__()
        if n_onet < 0 or n_pnet < 0 or n_onet + n_pnet == 0:
            raise ValueError(f"need at least one O-net or P-net; got n_onet={n_onet}, n_pnet={n_pnet}")
        longest = max(PNET_LENGTHS if n_pnet else ONET_LENGTHS)
        if n_frames < longest:
            raise ValueError(f"the longest filter has {longest} frames, so patches need >= {longest} frames; got {n_frames}")
        if n_mels < band:
            raise ValueError(f"n_mels ({n_mels}) must be at least the sub-band size ({band})")
        self.n_mels, self.n_frames, self.n_onet, self.n_pnet, self.band = n_mels, n_frames, n_onet, n_pnet, band
        self.onets = nn.ModuleList(TemporalFilters(ONET_LENGTHS, ONET_FILTERS_PER_LENGTH, band) for _ in range(n_onet))
        self.pnets = nn.ModuleList(TemporalFilters(PNET_LENGTHS, PNET_FILTERS_PER_LENGTH, band) for _ in range(n_pnet))
        n_filters = (n_onet * ONET_FILTERS_PER_LENGTH * len(ONET_LENGTHS)
                     + n_pnet * PNET_FILTERS_PER_LENGTH * len(PNET_LENGTHS))
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(n_filters * (n_mels // band), n_classes)
        _init(self, "he")

    def features(self, x):
        """Pooled filter responses ``(batch, n_filters, n_mels // 4)`` for input ``(batch, n_mels, n_frames)``.

        Computes exactly conv 1×n → ReLU → max-pool, like :meth:`features_reference`, but fast:
        a max passes gradient only to its winning position, so the full convolution runs once
        without autograd (all filters of a kind in one call), and only the winning window of each
        (filter, sub-band) is recomputed with gradients. Same values and gradients (ties apart),
        several times faster on a CPU and far lighter on memory.
        """
        x = _check_input(x, self.n_mels, self.n_frames, type(self).__name__)[:, 0]
        groups = []
        if self.n_onet:
            groups.append(self.onets)
        if self.n_pnet:
            groups.append(self.pnets)
        return torch.cat([_fast_temporal(x, nets, self.band) for nets in groups], dim=1)

    def features_reference(self, x):
        """The same as :meth:`features`, computed literally (one conv layer per length, then the pools)."""
        x = _check_input(x, self.n_mels, self.n_frames, type(self).__name__)
        return torch.cat([net(x) for net in [*self.onets, *self.pnets]], dim=1)

    def filters(self) -> list[tuple[str, torch.Tensor]]:
        """Every learned 1×n filter as ``(label, weights (n,))``, O-nets first, in length order."""
        out = []
        for kind, nets in (("O", self.onets), ("P", self.pnets)):
            for i, net in enumerate(nets):
                for n, conv in zip(net.lengths, net.convs.values()):
                    for j in range(conv.weight.shape[0]):
                        out.append((f"{kind}{i + 1} n={n} #{j + 1}", conv.weight[j, 0, 0].detach().cpu()))
        return out

    def forward(self, x):
        return self.out(self.drop(torch.flatten(self.features(x), 1)))


@register("o-net", source=SEED003)
class ONet(TemporalNet):
    """O-net alone (Pons & Serra 2017, seed 003): 40 short 1×n filters, 4,188 parameters.

    Input ``(batch, 40, 250)``, output logits ``(batch, n_classes)``; see :class:`TemporalNet`.
    """

    def __init__(self, n_classes: int = 8, n_mels: int = 40, n_frames: int = 250, dropout: float = 0.5):
        super().__init__(1, 0, n_classes=n_classes, n_mels=n_mels, n_frames=n_frames, dropout=dropout)


@register("p-net", source=SEED003)
class PNet(TemporalNet):
    """P-net alone (Pons & Serra 2017, seed 003): 35 long 1×n filters, 7,428 parameters.

    Input ``(batch, 40, 250)``, output logits ``(batch, n_classes)``; see :class:`TemporalNet`.
    """

    def __init__(self, n_classes: int = 8, n_mels: int = 40, n_frames: int = 250, dropout: float = 0.5):
        super().__init__(0, 1, n_classes=n_classes, n_mels=n_mels, n_frames=n_frames, dropout=dropout)


def _combo(n_onet: int, n_pnet: int):
    def make(n_classes: int = 8, n_mels: int = 40, n_frames: int = 250, dropout: float = 0.5):
        return TemporalNet(n_onet, n_pnet, n_classes=n_classes, n_mels=n_mels, n_frames=n_frames, dropout=dropout)

    make.__name__ = f"temporal_net_{n_onet}o_{n_pnet}p"
    make.__doc__ = (f"{n_onet}×O-net + {n_pnet}×P-net (Pons & Serra 2017, seed 003); "
                    "input (batch, 40, 250), output logits (batch, n_classes).")
    return make


for _name, (_o, _p) in {"2o": (2, 0), "o+p": (1, 1), "2p": (0, 2), "2o+2p": (2, 2),
                         "4o+4p": (4, 4), "8o+8p": (8, 8)}.items():
    register(_name, source=SEED003)(_combo(_o, _p))
