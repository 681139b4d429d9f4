"""The four tagging architectures compared by Choi, Fazekas, Sandler & Cho (2016/ICASSP 2017),
"Convolutional recurrent neural networks for music classification" (seed 004; arXiv 1609.04243).

Registered names (each takes input ``(batch, n_mels, n_frames)`` and returns one *logit* per tag,
shape ``(batch, n_classes)``; apply a sigmoid for tag probabilities):

========  ==========================================================================================
k1c2      4 conv layers with 1-D kernels along time (the mel bins are the input channels, so each
          kernel spans all frequencies at once), max-pooling in time, then 2 fully connected layers
k2c1      5 conv layers: a first 2-D kernel that covers the whole frequency axis (n_mels × 4), then
          four 1-D convolutions along time, max-pooling in time, then 2 fully connected layers
k2c2      5 conv layers of 3×3 2-D kernels with 2-D max-pooling, fully convolutional (the last
          feature map is pooled to N×1×1 and a 1×1 convolution — a dense layer — gives the tags)
crnn      4 conv layers of 3×3 kernels, pools (2×2)-(3×3)-(4×4)-(4×4) in frequency, a 2-layer GRU
          over the remaining time steps, the last hidden state → dense → tags
========  ==========================================================================================

Shared by all four, as the paper's "identical setting of dropout, batch normalization, activation
function (ELU)": an input batch-norm over the mel bins (the reference Keras CRNN's ``bn_0_freq``),
batch norm and ELU after every convolution, max pooling. The CRNN, "exceptionally", gets a weaker
dropout of 0.1 between its conv layers (to keep the RNN from overfitting); the CNNs use
``conv_dropout`` (default 0.2 here, the paper's value was not retrieved).

What is and is not the paper's
    Verified: the four families and their kinds of kernels and convolutions; the CRNN's 3×3 kernels,
    (2×2)-(3×3)-(4×4)-(4×4) pools, 2 GRU layers, last hidden state to a sigmoid output, ELU and the
    0.1 conv dropout (reference code music-auto_tagging-keras); the budgets 0.1, 0.25, 0.5, 1 and
    3 M parameters. **Not retrieved**: the paper's Table 1 (the width of every layer at every budget)
    and the k1c2/k2c1/k2c2 kernel and pool sizes. So every family here has a single width N (the
    number of feature maps of every conv layer, of the hidden dense layer and of the GRU), the
    kernel lengths (4 in time for the 1-D families, 3×3 for the 2-D ones) are our choice, and
    :func:`width_for_budget` picks N so the whole model's parameter count lands on a budget.
    The seminar slides (seed 004) gloss the names as k1c2 = "1D-kern, 2D-conv" + 2 dense layers,
    k2c1 = "2D-kern, 1D-conv" + 2 dense layers, k2c2 = "2D-kern, 2D-conv", fully convolutional. We
    follow the course design: k1c2 slides 1-D kernels along time over the mel bins as channels, k2c1
    starts with 2-D kernels spanning all mel bins and then convolves in time only. Read that way the
    two share their first layer's kind of kernel and differ in depth (4 vs 5 conv layers); another
    reading of "1D-kern, 2D-conv" (kernels 1×k sliding over frequency *and* time) is possible and
    could not be checked without the paper's Fig. 1.

Input and pooling
    The paper used 96 mel bins × 1366 frames (29.1 s at 12 kHz, hop 256). Our offline clips are
    short, so the course feeds 96 × 187 patches (3 s of the MusiCNN pipeline: 16 kHz, hop 256). The
    pooling sizes adapt to the input with :func:`fit_pools` (balanced, non-decreasing integer pools
    whose successive floor divisions reduce an axis to a target length); whatever is left is
    max-pooled away globally, so any input size of at least a few frames works. The CRNN keeps the
    paper's frequency pools when ``n_mels == 96`` (96 → 48 → 16 → 4 → 1) and sizes its time pools so
    the GRU sees about ``n_frames / 96`` steps (the paper's 1440 → 15), but never fewer than
    ``min_steps`` (default 8): 11 steps for a 187-frame patch.
"""
from __future__ import annotations

import torch
from torch import nn

from . import count_parameters, register

__all__ = ["fit_pools", "K1C2", "K2C1", "K2C2", "CRNN", "ARCHITECTURES", "BUDGETS", "build",
           "width_for_budget", "budget_table"]

ARCHITECTURES = ("k1c2", "k2c1", "k2c2", "crnn")
BUDGETS = (100_000, 250_000, 500_000, 1_000_000, 3_000_000)   # the paper's parameter budgets
SOURCE = "Choi, Fazekas, Sandler & Cho 2016, Convolutional recurrent neural networks for music classification (seed 004)"


def _reduce(length: int, pools) -> int:
    for p in pools:
        length //= p
    return length


def fit_pools(length: int, n_layers: int, target: int = 1) -> tuple[int, ...]:
    """Pool sizes for ``n_layers`` max-pooling layers that shrink an axis of ``length`` to about
    ``target`` (never below it).

    The pools are non-decreasing and as balanced as possible: start from all 1 and keep raising the
    last pool that may still grow (without exceeding the one after it) while ``length // p1 // p2 …``
    stays ≥ ``target``. ``fit_pools(187, 5) -> (2, 2, 3, 3, 3)``; ``fit_pools(187, 4, 8) -> (2, 2, 2, 2)``.
    """
    if length < 1 or n_layers < 1 or target < 1:
        raise ValueError(f"need length, n_layers and target ≥ 1, got {length}, {n_layers}, {target}")
    if length < target:
        raise ValueError(f"an axis of length {length} cannot be pooled to {target}")
    pools = [1] * n_layers
    while True:
        # raise the smallest pools first (rightmost among equals), keeping them non-decreasing
        for i in sorted(range(n_layers), key=lambda j: (pools[j], -j)):
            if i < n_layers - 1 and pools[i] + 1 > pools[i + 1]:
                continue
            trial = pools.copy()
            trial[i] += 1
            if _reduce(length, trial) >= target:
                pools = trial
                break
        else:
            return tuple(pools)


def _check_input(x: torch.Tensor, n_mels: int, name: str) -> None:
    if x.dim() != 3 or x.shape[1] != n_mels:
        raise ValueError(f"{name} expects input of shape (batch, n_mels={n_mels}, n_frames), got {tuple(x.shape)}")


class _ConvBlock2d(nn.Sequential):
    """conv k×k (same padding) → batch norm → ELU → max-pool → dropout."""

    def __init__(self, c_in, c_out, kernel, pool, dropout):
        super().__init__(nn.Conv2d(c_in, c_out, kernel, padding="same"), nn.BatchNorm2d(c_out), nn.ELU(),
                         nn.MaxPool2d(pool), nn.Dropout(dropout))


class _ConvBlock1d(nn.Sequential):
    """1-D conv along time (same padding) → batch norm → ELU → max-pool → dropout."""

    def __init__(self, c_in, c_out, kernel, pool, dropout):
        # explicit "same" padding (one more zero on the right for an even kernel, as TensorFlow does)
        super().__init__(nn.ConstantPad1d(((kernel - 1) // 2, kernel // 2), 0.0), nn.Conv1d(c_in, c_out, kernel), nn.BatchNorm1d(c_out), nn.ELU(),
                         nn.MaxPool1d(pool), nn.Dropout(dropout))


class _Tagger(nn.Module):
    """Common parts: the input batch-norm over mel bins and the bookkeeping attributes."""

    multilabel = True

    def __init__(self, name, n_classes, n_mels, n_frames, width):
        super().__init__()
        for arg, v in (("n_classes", n_classes), ("n_mels", n_mels), ("n_frames", n_frames), ("width", width)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name}: {arg} must be a positive int, got {v!r}")
        self.name, self.n_classes, self.n_mels, self.n_frames, self.width = name, n_classes, n_mels, n_frames, width
        self.input_bn = nn.BatchNorm1d(n_mels)   # one mean/std per mel bin, learnt scale and shift

    def extra_repr(self) -> str:
        return f"input (batch, {self.n_mels}, {self.n_frames}), width N={self.width}, {self.n_classes} tags"


class K1C2(_Tagger):
    """k1c2: 1-D kernels, 1-D convolution along time over the mel bins as channels.

    4 × [Conv1d(·, N, kernel 4) → BN → ELU → max-pool in time] → global max over time →
    dense N → ELU → dropout → dense n_classes (logits).
    """

    def __init__(self, n_classes=50, n_mels=96, n_frames=187, width=64, kernel=4, conv_dropout=0.2, dropout=0.5):
        super().__init__("k1c2", n_classes, n_mels, n_frames, width)
        self.time_pools = fit_pools(n_frames, 4)
        chans = [n_mels] + [width] * 4
        self.features = nn.Sequential(*[_ConvBlock1d(chans[i], chans[i + 1], kernel, p, conv_dropout)
                                        for i, p in enumerate(self.time_pools)])
        self.classifier = nn.Sequential(nn.Linear(width, width), nn.ELU(), nn.Dropout(dropout), nn.Linear(width, n_classes))

    def forward(self, x):
        _check_input(x, self.n_mels, "k1c2")
        z = self.features(self.input_bn(x))          # (B, N, T')
        return self.classifier(z.amax(dim=-1))


class K2C1(_Tagger):
    """k2c1: a 2-D first kernel spanning the whole frequency axis, then 1-D convolutions in time.

    Layer 1: N kernels of n_mels × 4 that cover all mel bins and slide along time only → BN → ELU
    → pool; then 4 × [Conv1d(N, N, 4) → BN → ELU → pool] (5 conv layers) → global max over time →
    dense N → ELU → dropout → dense n_classes.

    A kernel that spans the whole frequency axis and slides only in time computes exactly what a
    1-D convolution with the mel bins as input channels computes, so layer 1 is stored as a
    ``Conv1d(n_mels, N, 4)`` (the same N·n_mels·4 + N parameters; PyTorch runs it far faster than
    the equivalent ``Conv2d(1, N, (n_mels, 4))``). ``first_kernel_2d()`` shows it as (N, n_mels, 4)
    images. With our reading of the two names, k2c1 is k1c2 with one more conv layer; see the
    module docstring for what could not be checked against the paper.
    """

    def __init__(self, n_classes=50, n_mels=96, n_frames=187, width=64, kernel=4, conv_dropout=0.2, dropout=0.5):
        super().__init__("k2c1", n_classes, n_mels, n_frames, width)
        self.time_pools = fit_pools(n_frames, 5)
        chans = [n_mels] + [width] * 5
        self.features = nn.Sequential(*[_ConvBlock1d(chans[i], chans[i + 1], kernel, p, conv_dropout)
                                        for i, p in enumerate(self.time_pools)])
        self.classifier = nn.Sequential(nn.Linear(width, width), nn.ELU(), nn.Dropout(dropout), nn.Linear(width, n_classes))

    def first_kernel_2d(self) -> torch.Tensor:
        """The first layer's kernels as (N, n_mels, kernel) frequency × time images."""
        return self.features[0][1].weight.detach()

    def forward(self, x):
        _check_input(x, self.n_mels, "k2c1")
        z = self.features(self.input_bn(x))            # (B, N, T'): the frequency axis is used up at once
        return self.classifier(z.amax(dim=-1))


class K2C2(_Tagger):
    """k2c2: fully convolutional, 5 × [Conv2d 3×3 → BN → ELU → 2-D max-pool], global max,
    then a 1×1 convolution (a dense layer on the N pooled values) to the tags."""

    def __init__(self, n_classes=50, n_mels=96, n_frames=187, width=64, kernel=3, conv_dropout=0.2, dropout=0.5):
        super().__init__("k2c2", n_classes, n_mels, n_frames, width)
        self.freq_pools = fit_pools(n_mels, 5)
        self.time_pools = fit_pools(n_frames, 5)
        chans = [1] + [width] * 5
        self.features = nn.Sequential(*[_ConvBlock2d(chans[i], chans[i + 1], kernel, (pf, pt), conv_dropout)
                                        for i, (pf, pt) in enumerate(zip(self.freq_pools, self.time_pools))])
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Conv2d(width, n_classes, 1)

    def forward(self, x):
        _check_input(x, self.n_mels, "k2c2")
        z = self.features(self.input_bn(x).unsqueeze(1))   # (B, N, F', T')
        z = z.amax(dim=(2, 3), keepdim=True)                 # (B, N, 1, 1)
        return self.output(self.dropout(z)).flatten(1)


class CRNN(_Tagger):
    """CRNN: 4 × [Conv2d 3×3 → BN → ELU → max-pool → dropout 0.1], then a 2-layer GRU of width N
    over time (the frequency axis pooled to 1, N features per step), last hidden state →
    dropout 0.3 → dense n_classes."""

    def __init__(self, n_classes=50, n_mels=96, n_frames=187, width=32, kernel=3, conv_dropout=0.1, dropout=0.3,
                 min_steps=8):
        super().__init__("crnn", n_classes, n_mels, n_frames, width)
        self.freq_pools = (2, 3, 4, 4) if n_mels == 96 else fit_pools(n_mels, 4)
        steps = min(n_frames, max(min_steps, round(n_frames / 96)))
        self.time_pools = fit_pools(n_frames, 4, target=steps)
        self.n_steps = _reduce(n_frames, self.time_pools)
        chans = [1] + [width] * 4
        self.features = nn.Sequential(*[_ConvBlock2d(chans[i], chans[i + 1], kernel, (pf, pt), conv_dropout)
                                        for i, (pf, pt) in enumerate(zip(self.freq_pools, self.time_pools))])
        self.gru = nn.GRU(width, width, num_layers=2, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(width, n_classes)

    def forward(self, x):
        _check_input(x, self.n_mels, "crnn")
        z = self.features(self.input_bn(x).unsqueeze(1))   # (B, N, F', T')
        z = z.amax(dim=2).transpose(1, 2)                   # (B, T', N): one N-vector per time step
        seq, _ = self.gru(z)
        return self.output(self.dropout(seq[:, -1]))        # the last hidden state sums up the clip


_CLASSES = {"k1c2": K1C2, "k2c1": K2C1, "k2c2": K2C2, "crnn": CRNN}


def build(name: str, n_classes: int = 50, n_mels: int = 96, n_frames: int = 187, width: int | None = None,
          budget: float | None = None, **kwargs) -> nn.Module:
    """Build one of :data:`ARCHITECTURES` with width ``width``, or with the width that puts its
    parameter count closest to ``budget`` (see :func:`width_for_budget`). Give one of the two
    (neither: the class default)."""
    key = name.lower()
    if key not in _CLASSES:
        raise KeyError(f"unknown tagging architecture {name!r}; expected one of {ARCHITECTURES}")
    if width is not None and budget is not None:
        raise ValueError("give either width or budget, not both")
    if budget is not None:
        width = width_for_budget(key, budget, n_classes=n_classes, n_mels=n_mels, n_frames=n_frames, **kwargs)
    if width is not None:
        kwargs["width"] = int(width)
    return _CLASSES[key](n_classes=n_classes, n_mels=n_mels, n_frames=n_frames, **kwargs)


def _count(name, width, **kwargs) -> int:
    with torch.device("meta"):   # shapes only: no memory, no initialisation cost
        return count_parameters(_CLASSES[name](width=width, **kwargs))


def width_for_budget(name: str, budget: float, *, n_classes: int = 50, n_mels: int = 96, n_frames: int = 187,
                     tolerance: float = 0.05, **kwargs) -> int:
    """The width N whose model has the parameter count closest to ``budget``.

    Parameter counts grow with N² (N → N conv layers), so a bisection finds the neighbours and the
    closer of the two wins. Raises ValueError when even the best N misses the budget by more than
    ``tolerance`` (relative), e.g. a budget far too small for the input size.
    """
    key = name.lower()
    if key not in _CLASSES:
        raise KeyError(f"unknown tagging architecture {name!r}; expected one of {ARCHITECTURES}")
    if not budget > 0:
        raise ValueError(f"budget must be a positive number of parameters, got {budget}")
    common = dict(n_classes=n_classes, n_mels=n_mels, n_frames=n_frames, **kwargs)
    lo, hi = 1, 2
    while _count(key, hi, **common) < budget:
        lo, hi = hi, hi * 2
        if hi > 1 << 16:
            raise ValueError(f"budget {budget:g} is out of reach for {key}")
    while hi - lo > 1:   # invariant: count(lo) < budget ≤ count(hi), or lo == 1
        mid = (lo + hi) // 2
        if _count(key, mid, **common) < budget:
            lo = mid
        else:
            hi = mid
    best = min((lo, hi), key=lambda w: abs(_count(key, w, **common) - budget))
    got = _count(key, best, **common)
    if abs(got - budget) > tolerance * budget:
        raise ValueError(f"{key}: no width gives {budget:,.0f} parameters within {tolerance:.0%} "
                         f"(closest: N={best} with {got:,} parameters) for input {n_mels}×{n_frames} and {n_classes} tags")
    return best


def budget_table(budgets=BUDGETS, names=ARCHITECTURES, **kwargs) -> list[dict]:
    """Width and exact parameter count of every architecture at every budget: a list of dicts
    ``{"model", "budget", "width", "params", "error"}`` (error = params / budget − 1)."""
    rows = []
    for name in names:
        for b in budgets:
            w = width_for_budget(name, b, **kwargs)
            n = _count(name, w, **{k: v for k, v in kwargs.items() if k != "tolerance"})
            rows.append({"model": name, "budget": int(b), "width": w, "params": n, "error": n / b - 1})
    return rows


def _factory(name):
    def make(n_classes: int = 50, n_mels: int = 96, n_frames: int = 187, width: int | None = None,
             budget: float | None = None, **kwargs):
        return build(name, n_classes=n_classes, n_mels=n_mels, n_frames=n_frames, width=width, budget=budget, **kwargs)

    make.__name__ = name
    make.__doc__ = f"Create the {name} tagger; see :class:`{_CLASSES[name].__name__}` and :func:`build`."
    return make


for _name in ARCHITECTURES:
    register(_name, source=SOURCE)(_factory(_name))
del _name
