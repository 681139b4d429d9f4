"""Interpreting what a network learned: MusiCNN's front end read unit by unit (lesson 09), and
activation masks, deconvolution, auralisation and class activation maps for small CNNs (lesson 10).

Part 1 — the pretrained MusiCNN (seed 000, B. L. Sturm's "Digging into MusiCNN").
The front end turns one 3-s patch, a log-mel spectrogram ``(96, 187)``, into a matrix **U** of
shape ``(561, 187)``: one row per front-end unit, in five blocks of kernels (written frequency ×
time, as Sturm writes them; rows numbered from 0)::

    block  kernel   rows       units
    f74    38 × 7   0–203      204   timbral, spans 38 mel bands and 7 frames
    f77    67 × 7   204–407    204   timbral, spans 67 mel bands
    s1     1 × 128  408–458    51    temporal, one band, 128 frames (2.05 s)
    s2     1 × 64   459–509    51    temporal, 64 frames
    s3     1 × 32   510–560    51    temporal, 32 frames

Row ``r`` of U for unit ``k`` of its block is computed as

    Y_k = ReLU(w_k ⋆ X̂ + b_k)                (⋆: correlation; "valid" in frequency, "same" in time)
    Ŷ_k = scale_k · Y_k + shift_k            (batch norm with its moving statistics, ε = 10⁻³)
    U[r, n] = max_m Ŷ_k[m, n]                (max over the frequency positions m)

where X̂ is the input after the (scalar) input batch norm, ``scale = γ / √(σ² + ε)`` and
``shift = β − μ · scale``. :func:`unit` gathers all of these numbers for one row,
:func:`unit_response` recomputes the row step by step (and equals U's row),
:func:`live_units_from_weights` / :func:`live_units_from_responses` separate units that depend
on the input from those that are constant, :func:`rank_kernels` orders a block by Frobenius norm,
:func:`midend_input_weights` shows which rows of U each mid-end kernel weighs most, and
:func:`saliency` gives the gradient of a tag with respect to the input patch.

Part 2 — small CNNs (seed 001, :mod:`mmteach.models.small_cnns`).
:func:`conv1_mask` and :func:`apply_mask` (activation masks), :func:`deconv_layer` and
:func:`deconvolve` (upsampling + convolution with flipped, transposed filters),
:func:`class_activation_map` (for the global-average-pooling model), :func:`auralise` (a masked
log-mel spectrogram back to audio through mel inversion and Griffin-Lim).

All spectrograms are ``(n_mels, n_frames)`` (frequency × time, low frequencies in row 0), and all
batches ``(batch, n_mels, n_frames)``, as everywhere in the course.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import checks

__all__ = [
    "Block", "frontend_blocks", "FrontEndMatrix", "frontend_matrix", "bn_affine", "Unit", "unit",
    "unit_row", "unit_response", "kernel_norms", "live_units_from_weights", "live_units_from_responses",
    "row_spread", "rank_kernels", "midend_input_weights", "top_inputs", "saliency",
    "plot_frontend_matrix", "plot_unit", "plot_kernel", "unit_explorer",
    "conv1_mask", "activation_to_mask", "apply_mask", "input_bn", "block_kernels", "deconv_layer", "deconvolve", "cam_from_features",
    "class_activation_map", "log_mel_to_power", "auralise", "plot_overlay",
    "LIVE_WEIGHT_TOL", "LIVE_RESPONSE_TOL",
]

LIVE_WEIGHT_TOL = 0.01      # a kernel whose Frobenius norm is below this is treated as zero
LIVE_RESPONSE_TOL = 0.05    # a row of U whose range over clips and time is below this is constant

_BLOCK_ORDER = ("f74", "f77", "s1", "s2", "s3")


# ------------------------------------------------------------------------------------------------
# Part 1: MusiCNN's front end
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """One block of front-end units: ``rows`` ``start … stop-1`` of U.

    ``freq_size × time_size`` is the kernel (frequency × time, Sturm's notation: ``38×7``,
    ``1×128``); ``module`` is the attribute of ``model.frontend`` that holds it.
    """
    module: str
    freq_size: int
    time_size: int
    start: int
    stop: int

    @property
    def label(self) -> str:
        return f"{self.freq_size}×{self.time_size}"

    @property
    def kind(self) -> str:
        return "timbral" if self.freq_size > 1 else "temporal"

    @property
    def n_units(self) -> int:
        return self.stop - self.start

    def __contains__(self, row) -> bool:
        return self.start <= int(row) < self.stop


def _musicnn(model):
    if not hasattr(model, "frontend") or not all(hasattr(model.frontend, b) for b in _BLOCK_ORDER):
        raise TypeError(f"expected a MusiCNN (mmteach.models.musicnn.MusiCNN, e.g. from "
                        f"mmteach.pretrained.load_musicnn), got {type(model).__name__}")
    return model


def frontend_blocks(model) -> list[Block]:
    """The five blocks of a MusiCNN front end, bottom (row 0) to top, with their row ranges.

    For the original model: ``38×7`` rows 0–203, ``67×7`` 204–407, ``1×128`` 408–458,
    ``1×64`` 459–509, ``1×32`` 510–560.
    """
    fe = _musicnn(model).frontend
    blocks, start = [], 0
    for name in _BLOCK_ORDER:
        w = getattr(fe, name).conv.weight      # torch layout (out, 1, time, freq)
        n, _, t, f = w.shape
        blocks.append(Block(name, int(f), int(t), start, start + int(n)))
        start += int(n)
    return blocks


def _block_of(blocks: list[Block], row: int) -> tuple[Block, int]:
    for b in blocks:
        if row in b:
            return b, int(row) - b.start
    raise IndexError(f"row {row} is outside U, which has rows 0..{blocks[-1].stop - 1}")


@dataclass
class FrontEndMatrix:
    """The front-end output **U** for one patch and what its rows are.

    Attributes:
        U: float32 ``(561, n_frames)``, one row per front-end unit (row 0 at the bottom of plots).
        blocks: the five :class:`Block` s, bottom to top.
        patch: the input log-mel patch ``(96, n_frames)``.
    """
    U: np.ndarray
    blocks: list
    patch: np.ndarray

    @property
    def shape(self) -> tuple:
        return self.U.shape

    def block_of(self, row: int) -> tuple[Block, int]:
        """``(block, index within the block)`` of a row of U (0-based)."""
        return _block_of(self.blocks, row)

    def plot(self, ax=None, title: str | None = None):
        return plot_frontend_matrix(self, ax=ax, title=title)


def _as_patch_batch(x, n_mels: int = 96) -> tuple["torch.Tensor", bool]:
    import torch

    if isinstance(x, torch.Tensor):
        t = x.detach().float().cpu()
    else:
        arr = np.asarray(x)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"expected a log-mel patch (n_mels, n_frames) of numbers, got {type(x).__name__}")
        t = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
    single = t.dim() == 2
    if single:
        t = t[None]
    if t.dim() != 3 or t.shape[1] != n_mels:
        raise ValueError(f"expected a patch ({n_mels}, n_frames) or a batch (batch, {n_mels}, n_frames), "
                         f"got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError("the patch contains NaN or infinite values")
    return t, single


def frontend_matrix(model, patch) -> FrontEndMatrix:
    """U for one patch: ``patch`` ``(96, n_frames)`` (a musicnn log-mel, e.g. from
    :func:`mmteach.audio.musicnn_patches`) → :class:`FrontEndMatrix` with ``U`` ``(561, n_frames)``.

    A batch ``(B, 96, n_frames)`` gives ``U`` of shape ``(B, 561, n_frames)``.
    """
    import torch

    model = _musicnn(model)
    x, single = _as_patch_batch(patch, model.n_mels)
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    with torch.no_grad():
        U = model.features(x.to(dev))["frontend"].cpu().numpy()
    model.train(was)
    return FrontEndMatrix(U=U[0] if single else U, blocks=frontend_blocks(model),
                          patch=x[0].numpy() if single else x.numpy())


@checks.reference
def bn_affine(gamma, beta, mean, var, eps: float = 1e-3):
    """Batch norm at inference as an affine map ``y ↦ scale·y + shift``.

    ``scale = γ / √(σ² + ε)``, ``shift = β − μ·scale`` (elementwise; scalars or arrays of one shape).
    ε = 10⁻³ is TensorFlow's default, which MusiCNN uses. Returns ``(scale, shift)`` as float64
    numpy arrays (0-d for scalars).
    """
    g, b, m, v = (np.asarray(a, dtype=np.float64) for a in (gamma, beta, mean, var))
    if np.any(v < 0):
        raise ValueError("var must be non-negative (it is a variance)")
    scale = g / np.sqrt(v + eps)
    return scale, b - m * scale


@dataclass
class Unit:
    """Everything about one front-end unit (one row of U).

    Attributes:
        row: row of U (0-based, counted from the bottom block ``38×7``).
        block: its :class:`Block`; ``index``: position within the block (0-based; Sturm's
            "unit 12" is row 12 = index 12 of block ``38×7``).
        kernel: ``(freq_size, time_size)`` float32, the weights as the framework *correlates* them
            with the input (row 0 = lowest mel band of the window, column 0 = earliest frame).
            This is the convolution kernel flipped in both axes: the pattern the unit looks for.
        bias: conv bias. gamma, beta, moving_mean, moving_var: the unit's batch norm.
        scale, shift: the batch norm as ``y ↦ scale·y + shift`` (ε = 10⁻³).
        frobenius: ``‖kernel‖_F``.
    """
    row: int
    block: Block
    index: int
    kernel: np.ndarray
    bias: float
    gamma: float
    beta: float
    moving_mean: float
    moving_var: float
    scale: float
    shift: float
    frobenius: float
    eps: float = 1e-3

    @property
    def bn_map(self) -> str:
        """The batch norm map as text, e.g. ``"y ↦ 7.327·y − 3.279"``."""
        sign = "−" if self.shift < 0 else "+"
        return f"y ↦ {self.scale:.3f}·y {sign} {abs(self.shift):.3f}"

    @property
    def constant_output(self) -> float | None:
        """The value the row takes for *every* input if the kernel is zero, else None."""
        if self.frobenius > 0:
            return None
        return self.scale * max(self.bias, 0.0) + self.shift

    def __str__(self) -> str:
        return (f"unit {self.index} of block {self.block.label} (row {self.row} of U): kernel "
                f"{self.block.label}, ‖w‖_F = {self.frobenius:.4f}, bias {self.bias:+.4f}, ReLU, "
                f"batch norm {self.bn_map}, max over {self._n_positions()} frequency positions")

    def _n_positions(self) -> str:
        return f"96 − {self.block.freq_size} + 1 = {96 - self.block.freq_size + 1}" \
            if self.block.freq_size > 1 else "96"


def unit(model, row: int) -> Unit:
    """The kernel, bias and batch-norm map of the front-end unit that makes row ``row`` of U.

    ``row`` counts from 0 over all 561 rows (bottom block first); see :class:`Unit`.
    """
    model = _musicnn(model)
    if isinstance(row, bool) or not isinstance(row, (int, np.integer)):
        raise TypeError(f"row must be an int, got {type(row).__name__}")
    blocks = frontend_blocks(model)
    block, k = _block_of(blocks, int(row))
    layer = getattr(model.frontend, block.module)
    w = layer.conv.weight.detach().cpu().numpy()[k, 0]        # (time, freq)
    kernel = np.ascontiguousarray(w.T, dtype=np.float32)     # (freq, time)
    bn = layer.bn
    vals = [float(t.detach().cpu()[k]) for t in (bn.weight, bn.bias, bn.running_mean, bn.running_var)]
    scale, shift = bn_affine.__wrapped__(*vals, eps=bn.eps)
    return Unit(row=int(row), block=block, index=k, kernel=kernel,
                bias=float(layer.conv.bias.detach().cpu()[k]), gamma=vals[0], beta=vals[1],
                moving_mean=vals[2], moving_var=vals[3], scale=float(scale), shift=float(shift),
                frobenius=float(np.linalg.norm(kernel)), eps=float(bn.eps))


def input_bn(model, patch) -> np.ndarray:
    """The input patch after MusiCNN's input batch norm (one scalar scale and shift): ``(96, T)``."""
    model = _musicnn(model)
    bn = model.frontend.input_bn
    s, b = bn_affine.__wrapped__(*(t.detach().cpu().item() for t in
                                   (bn.weight, bn.bias, bn.running_mean, bn.running_var)), eps=bn.eps)
    x, single = _as_patch_batch(patch, model.n_mels)
    out = (x.numpy() * s + b).astype(np.float32)
    return out[0] if single else out


def _correlate_same_time(x_bn: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    kf, kt = kernel.shape
    before = (kt - 1) // 2
    xt = torch.from_numpy(np.ascontiguousarray(x_bn, dtype=np.float64))[None, None]
    xt = F.pad(xt, (before, kt - 1 - before))              # pad time only ("same", extra zero after)
    w = torch.from_numpy(np.ascontiguousarray(kernel, dtype=np.float64))[None, None]
    return F.conv2d(xt, w)[0, 0].numpy()                    # (F - kf + 1, T)


@checks.reference
def unit_row(x_bn, kernel, bias: float, scale: float, shift: float) -> np.ndarray:
    """One row of U from its parts: ``x_bn`` ``(n_mels, T)`` (input after the input batch norm),
    ``kernel`` ``(kf, kt)`` (correlation pattern) → ``(T,)``.

    ``max_m [scale · ReLU((kernel ⋆ x_bn)[m, n] + bias) + shift]``, the correlation "valid" in
    frequency (``n_mels − kf + 1`` positions m) and zero-padded "same" in time (``(kt − 1) // 2``
    zeros before, the rest after, as TensorFlow pads).
    """
    x = np.asarray(x_bn, dtype=np.float64)
    k = np.asarray(kernel, dtype=np.float64)
    if x.ndim != 2 or k.ndim != 2 or k.shape[0] > x.shape[0]:
        raise ValueError(f"x_bn must be (n_mels, T) and kernel (kf, kt) with kf <= n_mels; got {x.shape} and {k.shape}")
    Y = np.maximum(_correlate_same_time(x, k) + float(bias), 0.0)
    return (float(scale) * Y + float(shift)).max(axis=0)


@checks.reference
def unit_response(model, row: int, patch) -> dict:
    """Recompute row ``row`` of U step by step, to see each stage of the unit.

    Args:
        model: a MusiCNN. row: row of U (0-based). patch: log-mel ``(96, T)``.
    Returns a dict of numpy arrays:
        ``x_bn`` ``(96, T)`` input after the input batch norm;
        ``correlation`` ``(F', T)`` kernel ⋆ x_bn (no bias), ``F' = 96 − freq_size + 1``
        (``F' = 96`` for temporal units), frequency "valid", time zero-padded "same";
        ``Y`` ``(F', T)`` = ReLU(correlation + bias); ``Y_hat`` ``(F', T)`` = scale·Y + shift;
        ``u`` ``(T,)`` = max over frequency of Y_hat — equal to ``U[row]``;
        ``argmax`` ``(T,)`` the frequency position (lowest band of the kernel window) of the max.
    """
    u_ = unit(model, row)
    x_bn = input_bn(model, patch)
    if x_bn.ndim != 2:
        raise ValueError("unit_response takes one patch (96, n_frames), not a batch")
    corr = _correlate_same_time(x_bn, u_.kernel)            # (96 - kf + 1, T)
    Y = np.maximum(corr + u_.bias, 0.0)
    Y_hat = u_.scale * Y + u_.shift
    return dict(x_bn=x_bn, correlation=corr.astype(np.float32), Y=Y.astype(np.float32),
                Y_hat=Y_hat.astype(np.float32), u=Y_hat.max(axis=0).astype(np.float32),
                argmax=Y_hat.argmax(axis=0))


def kernel_norms(model, block: str | None = None) -> np.ndarray:
    """Frobenius norm of every front-end kernel: ``(561,)``, or ``(n_units,)`` of one block
    (``block`` is a module name ``"f74"`` … or a label ``"38×7"`` / ``"38x7"``)."""
    model = _musicnn(model)
    out = []
    for b in frontend_blocks(model) if block is None else [_find_block(model, block)]:
        w = getattr(model.frontend, b.module).conv.weight.detach().cpu().numpy()
        out.append(np.sqrt((w.astype(np.float64) ** 2).reshape(len(w), -1).sum(axis=1)))
    return np.concatenate(out)


def _find_block(model, block) -> Block:
    key = str(block).replace("x", "×").replace(" ", "")
    for b in frontend_blocks(model):
        if key in (b.module, b.label):
            return b
    raise ValueError(f"unknown block {block!r}: expected one of "
                     + ", ".join(f"{b.module!r}/{b.label!r}" for b in frontend_blocks(model)))


def live_units_from_weights(model, tol: float = LIVE_WEIGHT_TOL) -> np.ndarray:
    """Rows of U whose kernel is not (numerically) zero: ``‖w‖_F > tol``. Sorted int array.

    A unit with a zero kernel outputs ``scale·ReLU(bias) + shift`` whatever the input. A unit
    with a non-zero kernel may still never fire (bias too negative for any real input): use
    :func:`live_units_from_responses` on real clips for that.
    """
    return np.flatnonzero(kernel_norms(model) > tol)


def row_spread(U) -> np.ndarray:
    """How much each row of U varies: ``U`` ``(561, T)`` or ``(n_clips, 561, T)`` → ``(561,)``,
    max minus min over clips and time."""
    U = np.asarray(U, dtype=np.float64)
    if U.ndim == 2:
        U = U[None]
    if U.ndim != 3:
        raise ValueError(f"U must be (n_rows, T) or (n_clips, n_rows, T), got shape {U.shape}")
    return U.max(axis=(0, 2)) - U.min(axis=(0, 2))


@checks.reference
def live_units_from_responses(U, tol: float = LIVE_RESPONSE_TOL) -> np.ndarray:
    """Rows of U that depend on the input: ``U`` ``(n_clips, 561, T)`` (or ``(561, T)``) →
    sorted int array of the rows whose values change by more than ``tol`` over clips and time."""
    return np.flatnonzero(row_spread(U) > tol)


@checks.reference
def rank_kernels(kernels, live_tol: float | None = LIVE_WEIGHT_TOL) -> tuple[np.ndarray, np.ndarray]:
    """Order kernels by Frobenius norm, largest first.

    Args:
        kernels: ``(n, ...)`` one kernel per unit (any kernel shape).
        live_tol: drop kernels with norm ≤ this (None keeps all).
    Returns ``(order, norms)``: unit indices, largest norm first (ties by index), and their norms.
    """
    k = np.asarray(kernels, dtype=np.float64)
    if k.ndim < 2:
        raise ValueError(f"kernels must be (n_units, ...), got shape {k.shape}")
    norms = np.sqrt((k ** 2).reshape(len(k), -1).sum(axis=1))
    order = np.argsort(-norms, kind="stable")
    if live_tol is not None:
        order = order[norms[order] > live_tol]
    return order, norms[order]


def block_kernels(model, block) -> np.ndarray:
    """All kernels of a block as correlation patterns ``(n_units, freq_size, time_size)``."""
    b = _find_block(_musicnn(model), block)
    w = getattr(model.frontend, b.module).conv.weight.detach().cpu().numpy()[:, 0]   # (n, time, freq)
    return np.ascontiguousarray(w.transpose(0, 2, 1))


def midend_input_weights(model, layer: int = 1) -> np.ndarray:
    """How strongly each mid-end kernel weighs each of its input rows.

    ``layer`` 1, 2 or 3 (Sturm's CNN_2, CNN_3, CNN_4). Layer 1 reads U (561 rows); layers 2 and 3
    read the 64 rows of the previous mid-end layer. Returns ``(64, n_inputs)``: the Frobenius
    norm over the 7 time taps of kernel ``j``'s weights on input row ``i``.
    """
    model = _musicnn(model)
    if layer not in (1, 2, 3):
        raise ValueError(f"layer must be 1, 2 or 3 (the three mid-end convolutions), got {layer!r}")
    w = getattr(model.midend, f"conv{layer}").weight.detach().cpu().numpy().astype(np.float64)
    return np.sqrt((w ** 2).sum(axis=2))


def top_inputs(model, kernel: int, n: int = 5, layer: int = 1) -> list[tuple[int, str, float]]:
    """The ``n`` input rows that mid-end kernel ``kernel`` of ``layer`` weighs most:
    ``[(row, description, weight norm), …]``, largest first (descriptions name U's block)."""
    W = midend_input_weights(model, layer)
    if not 0 <= kernel < W.shape[0]:
        raise IndexError(f"kernel must be in 0..{W.shape[0] - 1}, got {kernel}")
    order = np.argsort(-W[kernel], kind="stable")[:n]
    blocks = frontend_blocks(model)
    out = []
    for r in order:
        if layer == 1:
            b, k = _block_of(blocks, int(r))
            desc = f"U row {r} (unit {k} of {b.label})"
        else:
            desc = f"cnn{layer - 1} row {r}"
        out.append((int(r), desc, float(W[kernel, r])))
    return out


def saliency(model, patch, target: int | str, times_input: bool = False) -> np.ndarray:
    """Gradient of one output (tag or class logit) with respect to the input patch.

    Args:
        model: any course model taking ``(batch, n_mels, n_frames)`` (MusiCNN, small CNNs).
        patch: ``(n_mels, n_frames)``. target: output index, or a tag name when the model has
            ``.tags`` (pretrained MusiCNN). times_input: return gradient × input instead.
    Returns ``(n_mels, n_frames)`` float32: how much a small increase of each bin changes the
    logit (positive: raises the tag). Computed in eval mode.
    """
    import torch

    if isinstance(target, str):
        tags = list(getattr(model, "tags", None) or [])
        if target not in tags:
            raise ValueError(f"unknown tag {target!r}; the model's tags are {tags[:8]}…" if tags else
                             "this model has no tag names; pass an output index")
        target = tags.index(target)
    n_mels = getattr(model, "n_mels", None) or np.asarray(patch).shape[0]
    x, single = _as_patch_batch(patch, n_mels)
    if not single:
        raise ValueError("saliency takes one patch (n_mels, n_frames)")
    dev = next(model.parameters()).device
    x = x.to(dev).requires_grad_(True)
    was = model.training
    model.eval()
    try:
        out = model(x)
        if not 0 <= int(target) < out.shape[1]:
            raise IndexError(f"target must be in 0..{out.shape[1] - 1}, got {target}")
        (g,) = torch.autograd.grad(out[0, int(target)], x)
    finally:
        model.train(was)
    g = g[0]
    if times_input:
        g = g * x.detach()[0]
    return g.cpu().numpy().astype(np.float32)


# ------------------------------------------------------------------------------------ plotting
def plot_frontend_matrix(fm: FrontEndMatrix, ax=None, title: str | None = None, cmap: str = "magma"):
    """U as an image, row 0 at the bottom, block boundaries drawn and labelled. Returns the axes."""
    import matplotlib.pyplot as plt

    U = np.asarray(fm.U)
    if U.ndim != 2:
        raise ValueError("plot one patch's U (561, T), not a batch")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    T = U.shape[1]
    sec = T * 256 / 16000
    im = ax.imshow(U, aspect="auto", origin="lower", interpolation="nearest", cmap=cmap,
                   extent=(0, sec, -0.5, U.shape[0] - 0.5))
    for b in fm.blocks:
        ax.axhline(b.stop - 0.5, color="w", lw=0.8)
        ax.text(sec * 1.01, (b.start + b.stop) / 2, b.label, va="center", fontsize=8,
                transform=ax.transData, clip_on=False)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("row of U (unit)")
    ax.set_title(title or "front-end output U")
    ax.figure.colorbar(im, ax=ax, pad=0.08)
    return ax


def plot_kernel(kernel, ax=None, title: str | None = None):
    """A kernel ``(freq, time)`` as the correlation pattern it matches (low bands at the bottom)."""
    import matplotlib.pyplot as plt

    k = np.asarray(kernel, dtype=np.float32)
    if k.ndim != 2:
        raise ValueError(f"kernel must be (freq, time), got shape {k.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(2.5, 4) if k.shape[0] > k.shape[1] else (6, 1.5))
    if k.shape[0] == 1:   # temporal kernel: a curve reads better than a 1-pixel image
        ax.stem(np.arange(k.shape[1]), k[0], basefmt=" ")
        ax.set_xlabel("frame")
    else:
        lim = float(np.abs(k).max()) or 1.0
        im = ax.imshow(k, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim,
                       interpolation="nearest")
        ax.set_xlabel("frame")
        ax.set_ylabel("mel band (within window)")
        ax.figure.colorbar(im, ax=ax)
    if title:
        ax.set_title(title)
    return ax


def plot_unit(model, row: int, patch, axes=None):
    """One unit end to end: its kernel, and its response overlaid on the mel spectrogram.

    Left: the kernel as a correlation pattern. Middle: the input log-mel with the frequency
    position of the max drawn per frame (where in frequency the unit found its pattern best).
    Right: U[row] over time with the pre-max maps' range. Returns the figure.
    """
    import matplotlib.pyplot as plt

    u_ = unit(model, row)
    r = unit_response.__wrapped__(model, row, patch)
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), gridspec_kw=dict(width_ratios=[1, 3, 3]))
    fig = axes[0].figure
    plot_kernel(u_.kernel, ax=axes[0], title=f"kernel {u_.block.label}")
    T = r["x_bn"].shape[1]
    t = np.arange(T) * 256 / 16000
    ax = axes[1]
    ax.imshow(np.asarray(patch), aspect="auto", origin="lower", cmap="gray_r",
              extent=(0, T * 256 / 16000, -0.5, 95.5))
    if u_.block.freq_size > 1:
        fired = r["Y"].max(axis=0) > 0
        centre = r["argmax"] + (u_.block.freq_size - 1) / 2
        ax.scatter(t[fired], centre[fired], s=6 + 40 * r["Y"].max(axis=0)[fired] / (r["Y"].max() or 1),
                   color="C3", label="window centre of the max")
    else:
        Yn = r["Y"] / (r["Y"].max() or 1)
        ax.imshow(np.ma.masked_less_equal(Yn, 0.05), aspect="auto", origin="lower", cmap="autumn_r",
                  alpha=0.7, extent=(0, T * 256 / 16000, -0.5, 95.5))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mel band")
    ax.set_title("response on the mel spectrogram")
    ax = axes[2]
    ax.stem(t, r["u"], basefmt=" ", markerfmt=".")
    ax.set_xlabel("time (s)")
    ax.set_title(f"U[{row}] = max over frequency of {u_.bn_map.replace('y ↦ ', '')}")
    fig.suptitle(str(u_), fontsize=9)
    fig.tight_layout()
    return fig


def unit_explorer(model, patch, rows=None):
    """An ipywidgets explorer: pick a unit (default: the live ones) and see its kernel,
    parameters and response on ``patch``. Returns the widget (display it), or None without
    ipywidgets; in a headless run it draws the first unit once and needs no interaction."""
    import matplotlib.pyplot as plt

    if rows is None:
        rows = live_units_from_weights(model)
    rows = [int(r) for r in rows]
    if not rows:
        raise ValueError("no rows to explore")
    blocks = frontend_blocks(model)
    try:
        import ipywidgets as widgets
    except ImportError:   # pragma: no cover - ipywidgets is a course dependency
        plot_unit(model, rows[0], patch)
        plt.show()
        return None
    options = [(f"row {r}: unit {_block_of(blocks, r)[1]} of {_block_of(blocks, r)[0].label}", r) for r in rows]

    def show(row):
        plot_unit(model, row, patch)
        plt.show()

    return widgets.interactive(show, row=widgets.Dropdown(options=options, value=rows[0], description="unit"))


# ------------------------------------------------------------------------------------------------
# Part 2: small CNNs — activation masks, deconvolution, CAM, auralisation
# ------------------------------------------------------------------------------------------------
def _model_input(model, x) -> tuple["torch.Tensor", bool]:
    n_mels = getattr(model, "n_mels", None) or np.asarray(x).shape[-2]
    return _as_patch_batch(x, n_mels)


def conv1_mask(model, x, filter: int, binary_quantile: float | None = None) -> np.ndarray:
    """A mask from one conv-1 filter's activation, at the input's resolution.

    Args:
        model: a small CNN with ``.conv1_activations(x)`` (:mod:`mmteach.models.small_cnns`).
        x: one input patch ``(n_mels, n_frames)`` (normalised as the model was trained).
        filter: which conv-1 filter. binary_quantile: None for a soft mask (activation divided by
            its maximum, in [0, 1]); a number q in (0, 1) for a 0/1 mask of the bins whose
            activation is at or above its q-quantile (and > 0).
    Returns ``(n_mels, n_frames)`` float32 in [0, 1] (all zeros when the filter never fires).
    """
    import torch

    xb, single = _model_input(model, x)
    if not single:
        raise ValueError("conv1_mask takes one patch (n_mels, n_frames)")
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    with torch.no_grad():
        a = model.conv1_activations(xb.to(dev))[0]
    model.train(was)
    if not 0 <= int(filter) < a.shape[0]:
        raise IndexError(f"filter must be in 0..{a.shape[0] - 1}, got {filter}")
    a = a[int(filter)].cpu().numpy().astype(np.float32)
    return _mask_from_activation(a, binary_quantile)


@checks.reference
def activation_to_mask(activation, binary_quantile: float | None = None) -> np.ndarray:
    """``activation`` ``(F, T)`` (≥ 0, after ReLU) → mask ``(F, T)`` in [0, 1].

    Soft (``binary_quantile=None``): activation / max (zeros if the max is 0). Binary: 1 where the
    activation is positive and ≥ its ``binary_quantile``-quantile, else 0.
    """
    return _mask_from_activation(activation, binary_quantile)


def _mask_from_activation(a, q):
    a = np.asarray(a, dtype=np.float32)
    if a.ndim != 2:
        raise ValueError(f"activation must be (F, T), got shape {a.shape}")
    peak = float(a.max())
    if peak <= 0:
        return np.zeros_like(a)
    if q is None:
        return np.clip(a / peak, 0.0, 1.0)
    if not 0.0 < float(q) < 1.0:
        raise ValueError(f"binary_quantile must be in (0, 1), got {q}")
    thr = float(np.quantile(a, q))
    return ((a >= thr) & (a > 0)).astype(np.float32)


def apply_mask(log_mel, mask) -> np.ndarray:
    """Keep only the masked part of a log-mel spectrogram: elementwise ``log_mel · mask``
    (both ``(F, T)``). On log10(1 + C·x) values, 0 means silence, so masked-out bins go silent."""
    s, m = np.asarray(log_mel, dtype=np.float32), np.asarray(mask, dtype=np.float32)
    if s.shape != m.shape:
        raise ValueError(f"log_mel {s.shape} and mask {m.shape} must have the same shape")
    return s * m



@checks.reference
def deconv_layer(maps, weight, padding: int | tuple[int, int] | None = None):
    """Project feature maps back through one conv layer: convolution with the layer's filters
    flipped in both spatial axes and with input and output channels swapped.

    Args:
        maps: ``(C_out, H, W)`` or ``(B, C_out, H, W)`` tensor/array (activations of the layer).
        weight: the layer's ``(C_out, C_in, kh, kw)`` weights.
        padding: the forward layer's padding (default ``(kh // 2, kw // 2)``, "same" for odd
            kernels); the backward pass pads ``k − 1 − p``.
    Returns ``(C_in, H', W')`` (or batched) float tensor, ``H' = H + kh − 1 − 2p``: exactly
    ``torch.nn.functional.conv_transpose2d(maps, weight, padding=p)``.
    """
    import torch
    import torch.nn.functional as F

    m = maps if isinstance(maps, torch.Tensor) else torch.as_tensor(np.asarray(maps, dtype=np.float32))
    w = weight if isinstance(weight, torch.Tensor) else torch.as_tensor(np.asarray(weight, dtype=np.float32))
    w = w.to(m.dtype)
    if w.dim() != 4:
        raise ValueError(f"weight must be (C_out, C_in, kh, kw), got shape {tuple(w.shape)}")
    single = m.dim() == 3
    if single:
        m = m[None]
    if m.dim() != 4 or m.shape[1] != w.shape[0]:
        raise ValueError(f"maps must be ({w.shape[0]}, H, W) or (B, {w.shape[0]}, H, W) for this weight, "
                         f"got shape {tuple(m.shape)}")
    kh, kw = w.shape[2:]
    ph, pw = (kh // 2, kw // 2) if padding is None else ((padding, padding) if isinstance(padding, int) else padding)
    back = w.flip(2, 3).transpose(0, 1)                  # (C_in, C_out, kh, kw)
    out = F.conv2d(m, back, padding=(kh - 1 - ph, kw - 1 - pw))
    return out[0] if single else out


def deconvolve(model, x, layer: int = 2, filter: int | None = None) -> np.ndarray:
    """Deconvolution (Zeiler & Fergus style, as in seed 001): send one layer's activations back
    to the input's size.

    The forward pass runs to conv ``layer`` (1 or 2) of a small CNN; all maps but ``filter``'s
    (all of them when None) are set to zero; then, layer by layer backwards: ReLU, nearest-
    neighbour upsampling to undo each max-pool, and :func:`deconv_layer` with that layer's
    weights. Returns ``(n_mels, n_frames)`` float32: the input pattern the chosen activations
    respond to (in input units, up to scale).
    """
    import torch
    import torch.nn.functional as F

    xb, single = _model_input(model, x)
    if not single:
        raise ValueError("deconvolve takes one patch (n_mels, n_frames)")
    convs = model.conv_layers()
    if layer not in range(1, len(convs) + 1):
        raise ValueError(f"layer must be 1..{len(convs)}, got {layer!r}")
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    with torch.no_grad():
        acts, sizes = model.conv_activations(xb.to(dev), upto=layer)
        a = acts[-1]                                   # (1, C, H, W) after ReLU, before pooling
        if filter is not None:
            if not 0 <= int(filter) < a.shape[1]:
                raise IndexError(f"filter must be in 0..{a.shape[1] - 1}, got {filter}")
            keep = torch.zeros_like(a)
            keep[:, int(filter)] = a[:, int(filter)]
            a = keep
        for i in range(layer - 1, -1, -1):
            a = deconv_layer.__wrapped__(F.relu(a), convs[i].weight, padding=convs[i].padding)
            if i > 0:   # undo the pool between conv i-1 and conv i
                a = F.interpolate(a, size=sizes[i - 1], mode="nearest")
    model.train(was)
    return a[0, 0].cpu().numpy().astype(np.float32)


@checks.reference
def cam_from_features(features, weights, cls: int) -> np.ndarray:
    """Class activation map from the last conv layer of a global-average-pooling network.

    ``features`` ``(K, H, W)``: the last conv layer's maps; ``weights`` ``(n_classes, K)``: the
    dense layer after global average pooling; returns ``(H, W)`` = Σ_k weights[cls, k] ·
    features[k]. Its mean over (H, W) plus the bias is the class logit.
    """
    A = np.asarray(features, dtype=np.float64)
    W = np.asarray(weights, dtype=np.float64)
    if A.ndim != 3 or W.ndim != 2 or W.shape[1] != A.shape[0]:
        raise ValueError(f"features must be (K, H, W) and weights (n_classes, K); got {A.shape} and {W.shape}")
    return np.tensordot(W[int(cls)], A, axes=(0, 0))


def class_activation_map(model, x, cls: int | None = None, upsample: bool = True) -> tuple[np.ndarray, int]:
    """CAM of a GAP model (:class:`~mmteach.models.small_cnns.GapCNN`) for one patch.

    Returns ``(cam, cls)``: ``cam`` ``(n_mels, n_frames)`` (bilinear upsampling of the
    last-layer map; ``upsample=False`` keeps the layer's own size) for class ``cls`` (default:
    the predicted class).
    """
    import torch
    import torch.nn.functional as F

    xb, single = _model_input(model, x)
    if not single:
        raise ValueError("class_activation_map takes one patch (n_mels, n_frames)")
    if not hasattr(model, "cam_features"):
        raise TypeError(f"class activation maps need a global-average-pooling model (GapCNN), got {type(model).__name__}")
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    with torch.no_grad():
        feats = model.cam_features(xb.to(dev))               # (1, K, H, W)
        logits = model.classifier(feats.mean(dim=(2, 3)))
    model.train(was)
    if cls is None:
        cls = int(logits.argmax(dim=1)[0])
    W = model.classifier.weight.detach().cpu().numpy()
    if not 0 <= int(cls) < W.shape[0]:
        raise IndexError(f"cls must be in 0..{W.shape[0] - 1}, got {cls}")
    cam = cam_from_features.__wrapped__(feats[0].cpu().numpy(), W, int(cls))
    if upsample:
        cam = F.interpolate(torch.from_numpy(cam)[None, None].float(), size=tuple(xb.shape[1:]),
                            mode="bilinear", align_corners=False)[0, 0].numpy()
    return cam.astype(np.float32), int(cls)


@checks.reference
def log_mel_to_power(log_mel, C: float = 10000.0) -> np.ndarray:
    """Undo the log compression ``L = log10(1 + C·S)``: ``S = (10^L − 1) / C`` (≥ 0), same shape."""
    L = np.asarray(log_mel, dtype=np.float64)
    return np.maximum((10.0 ** L - 1.0) / C, 0.0)


def auralise(log_mel, mask=None, pipeline: str = "musicnn", n_iter: int = 16, seed: int = 0,
             stats: tuple[float, float] | None = None) -> tuple[np.ndarray, int]:
    """Hear a (masked) log-mel spectrogram: mel inversion + Griffin-Lim.

    Args:
        log_mel: ``(n_mels, n_frames)`` log10(1 + 10000·mel power) of ``pipeline`` ("musicnn":
            96 bands at 16 kHz, hop 256; "pons": 40 bands at 44.1 kHz, hop 1024). If it was
            normalised, give ``stats=(mean, std)`` to undo that first.
        mask: optional ``(n_mels, n_frames)`` in [0, 1], multiplied with the *power* (so a mask
            of 0 is silence, 1 keeps the bin, 0.5 halves its power).
        n_iter: Griffin-Lim iterations (few is fast; more removes some phasiness).
    Returns ``(y, sr)``: float32 audio of ``(n_frames − 1)·hop`` samples, peak 0.5 (all zeros
    for a silent input).
    """
    from . import audio as mm_audio

    L = np.asarray(log_mel, dtype=np.float64)
    if L.ndim != 2:
        raise ValueError(f"log_mel must be (n_mels, n_frames), got shape {L.shape}")
    if not np.all(np.isfinite(L)):
        raise ValueError("log_mel contains NaN or infinite values")
    if stats is not None:
        L = L * float(stats[1]) + float(stats[0])
    S = log_mel_to_power.__wrapped__(L)
    if mask is not None:
        m = np.asarray(mask, dtype=np.float64)
        if m.shape != L.shape:
            raise ValueError(f"mask {m.shape} must have the shape of log_mel {L.shape}")
        if m.min() < 0 or m.max() > 1:
            raise ValueError("mask values must lie in [0, 1]")
        S = S * m
    hop = {"musicnn": mm_audio.MUSICNN_HOP, "pons": mm_audio.PONS_HOP}.get(pipeline)
    sr = {"musicnn": mm_audio.MUSICNN_SR, "pons": mm_audio.PONS_SR}.get(pipeline)
    if hop is None:
        raise ValueError(f"pipeline must be 'musicnn' or 'pons', got {pipeline!r}")
    if not S.max() > 0:
        return np.zeros((L.shape[1] - 1) * hop, np.float32), sr
    y, sr = mm_audio.mel_to_audio(S.astype(np.float32), pipeline, n_iter=n_iter, seed=seed)
    return y, sr


def plot_overlay(spec, overlay, ax=None, title: str | None = None, sr: int = 16000, hop: int = 256,
                 alpha: float = 0.55, cmap: str = "jet", symmetric: bool = False):
    """A spectrogram ``(F, T)`` in grey with a map of the same shape (CAM, mask, saliency) on top.

    ``symmetric=True`` centres the colour scale on 0 (for signed maps with a diverging ``cmap``
    such as ``"RdBu_r"``: white is 0, red positive, blue negative).
    """
    import matplotlib.pyplot as plt

    s, o = np.asarray(spec, dtype=np.float32), np.asarray(overlay, dtype=np.float32)
    if s.shape != o.shape:
        raise ValueError(f"spec {s.shape} and overlay {o.shape} must have the same shape")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    ext = (0, s.shape[1] * hop / sr, -0.5, s.shape[0] - 0.5)
    ax.imshow(s, aspect="auto", origin="lower", cmap="gray_r", extent=ext)
    lim = float(np.abs(o).max()) or 1.0
    scale = dict(vmin=-lim, vmax=lim) if symmetric else {}
    im = ax.imshow(o, aspect="auto", origin="lower", cmap=cmap, alpha=alpha, extent=ext, **scale)
    ax.figure.colorbar(im, ax=ax)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mel band")
    if title:
        ax.set_title(title)
    return ax
