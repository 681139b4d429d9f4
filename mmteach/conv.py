"""Convolution and pooling from first principles (lesson 03).

Everything here is written with explicit Python loops over output positions, so that each line
reads like the formula it implements; the tests check every function against torch
(``F.conv1d``, ``F.conv2d``, ``F.max_pool2d``, ``F.avg_pool2d``) and numpy/scipy.

Notation (as in Pons et al., seed 002): a spectrogram is M-by-N (M frequency bins, N frames), a
filter m-by-n, the feature map it produces M'-by-N'. One-dimensional signals have length M and
kernels length m.

Convolution and correlation
    convolution   s(t) = Σ_a x(a) · w(t − a)          (:func:`convolve1d`, :func:`convolve2d`)
    correlation   c(t) = Σ_k x(t + k) · w(k)          (:func:`correlate1d`, :func:`correlate2d`)
Convolution is correlation with the kernel flipped (:func:`flip_kernel`). Deep-learning
frameworks compute correlations and call them convolutions; :func:`conv1d` and :func:`conv2d`
do the same, with channels, bias, stride and padding, exactly like ``torch.nn.functional``.

Padding
    ``"valid"`` none; ``"same"`` total m − 1 (stride 1) split as TensorFlow and PyTorch do: the
    odd extra zero goes at the END (:func:`same_padding`); ``"full"`` m − 1 on both sides; an int
    ``p`` on both sides; or an explicit ``(before, after)`` pair.
    Output length: M' = floor((M + p_before + p_after − m) / s) + 1 (:func:`output_length`).

Pooling
    :func:`max_pool1d`, :func:`avg_pool1d`, :func:`max_pool2d`, :func:`avg_pool2d` — windows of a
    given size moved by a stride (default: the size, i.e. non-overlapping, as in torch).

Parameter counts
    :func:`conv2d_params` = filters × (kh·kw·in_channels + 1); :func:`dense_params` =
    n_out × (n_in + 1); :func:`single_layer_cnn_params` for conv → max-pool → [dense] → softmax.

Sounds for the lesson (numpy synthesis, no files): :func:`click_track`, :func:`tone`,
:func:`chord`, :func:`drum_groove`; features: :func:`energy_envelope`,
:func:`semitone_spectrum` (spectrograms come from :func:`mmteach.audio.pons_input`); kernels: :func:`onset_kernel`,
:func:`harmonic_template`, :func:`beat_comb`.

Functions marked ``@checks.reference`` are answers to the lesson's exercises.
"""
from __future__ import annotations

import math
import time
from numbers import Integral
from typing import Callable, Sequence, Union

import numpy as np

from . import checks
from .audio import PONS_SR

__all__ = [
    # padding and sizes
    "same_padding", "resolve_padding", "output_length", "output_shape", "pad1d", "pad2d",
    # 1-D and 2-D, single channel
    "flip_kernel", "convolve1d", "correlate1d", "convolve1d_torch", "convolve2d", "correlate2d",
    # framework-style layers
    "conv1d", "conv2d",
    # pooling
    "max_pool1d", "avg_pool1d", "max_pool2d", "avg_pool2d",
    # parameters
    "conv1d_params", "conv2d_params", "dense_params", "single_layer_cnn_params",
    # sounds, features, kernels, timing
    "click_track", "tone", "chord", "drum_groove", "energy_envelope", "semitone_spectrum",
    "onset_kernel", "harmonic_template", "beat_comb", "best_time", "plot_maps",
]

Padding1D = Union[str, int, Sequence[int]]

_MODES = ("valid", "same", "full")


# --------------------------------------------------------------------------- input checking

def _as_array(x, name: str, ndim: int | tuple[int, ...], form: str | None = None) -> np.ndarray:
    """``x`` as a finite float64 array with the given number of dimensions, or a clear error.

    ``form`` describes the expected shape in the error message, e.g. ``"(M, N) or (..., M, N)"``.
    """
    if hasattr(x, "detach"):  # torch tensor on any device
        x = x.detach().cpu().numpy()
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} should be an array of numbers, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except Exception as err:
        raise TypeError(f"{name} should be an array of numbers, got {type(x).__name__}") from err
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} should hold numbers, got an array of dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} should hold real numbers, got complex values")
    wanted = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if arr.ndim not in wanted:
        if len(wanted) > 2 and wanted == tuple(range(wanted[0], wanted[-1] + 1)):
            want = f"{wanted[0]} to {wanted[-1]}"
        else:
            want = " or ".join(str(d) for d in wanted)
        shape = f"shape {form}, i.e. " if form else ""
        raise ValueError(f"{name} should have {shape}{want} dimension(s), got shape {arr.shape} "
                         f"({arr.ndim} dimension(s))")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); expected at least one value")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} contains a non-finite value ({arr[bad]}) at index {bad}; clean the input first")
    return arr


def _positive_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} should be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} should be ≥ {minimum}, got {value}")
    return int(value)


def _pair(value, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints, as ``(along frequency/rows, along time/columns)``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} should be an int or a pair (rows, columns), got {value!r}")
        return _positive_int(value[0], f"{name}[0]", minimum), _positive_int(value[1], f"{name}[1]", minimum)
    v = _positive_int(value, name, minimum)
    return v, v


# --------------------------------------------------------------------------- padding and sizes

def same_padding(M: int, m: int, stride: int = 1) -> tuple[int, int]:
    """Zeros ``(before, after)`` that TensorFlow's and PyTorch's ``"same"`` padding add.

    The output gets ceil(M / stride) values. The total padding is
    max((ceil(M/s) − 1)·s + m − M, 0); when it is odd, the extra zero goes at the end
    (for stride 1 and an even kernel, m = 4: 1 zero before, 2 after).
    """
    M = _positive_int(M, "signal length M")
    m = _positive_int(m, "kernel length m")
    s = _positive_int(stride, "stride")
    total = max((math.ceil(M / s) - 1) * s + m - M, 0)
    before = total // 2
    return before, total - before


def resolve_padding(padding: Padding1D, M: int, m: int, stride: int = 1) -> tuple[int, int]:
    """Turn a padding spec into ``(before, after)`` zero counts along one axis.

    ``padding`` is ``"valid"`` (0, 0), ``"same"`` (:func:`same_padding`), ``"full"``
    (m − 1, m − 1), an int p (p, p), or a pair ``(before, after)``.
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return 0, 0
        if mode == "same":
            return same_padding(M, m, stride)
        if mode == "full":
            return m - 1, m - 1
        raise ValueError(f"padding {padding!r} is not known; expected one of {_MODES}, an int or (before, after)")
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(f"padding should be (before, after), got {padding!r}")
        return (_positive_int(padding[0], "padding before", 0), _positive_int(padding[1], "padding after", 0))
    p = _positive_int(padding, "padding", 0)
    return p, p


def _output_length(M: int, m: int, padding: Padding1D = 0, stride: int = 1) -> int:
    M = _positive_int(M, "signal length M")
    m = _positive_int(m, "kernel length m")
    s = _positive_int(stride, "stride")
    before, after = resolve_padding(padding, M, m, s)
    padded = M + before + after
    if padded < m:
        raise ValueError(
            f"the kernel (length {m}) is longer than the padded signal (length {M} + {before} + {after} = {padded}); "
            "use a shorter kernel, a longer signal, or more padding (e.g. padding='same' or 'full')"
        )
    return (padded - m) // s + 1


@checks.reference
def output_length(M: int, m: int, padding: Padding1D = 0, stride: int = 1) -> int:
    """Length of the output of sliding a length-``m`` kernel over a length-``M`` signal.

    M' = floor((M + 2p − m) / s) + 1 for padding p on each side and stride s (with a
    ``(before, after)`` pair, 2p becomes before + after). Without padding and stride this is
    M − m + 1. Raises ValueError when the kernel does not fit in the padded signal.
    """
    return _output_length(M, m, padding, stride)


def output_shape(input_shape: tuple[int, int], kernel_shape: tuple[int, int], padding="valid",
                 stride=1) -> tuple[int, int]:
    """(M', N') of a 2-D correlation/convolution/pooling of an M×N input with an m×n window."""
    (M, N), (m, n) = _pair(tuple(input_shape), "input_shape"), _pair(tuple(kernel_shape), "kernel_shape")
    (pad_r, pad_c), (s_r, s_c) = _padding2d(padding, (M, N), (m, n), stride), _pair(stride, "stride")
    return _output_length(M, m, pad_r, s_r), _output_length(N, n, pad_c, s_c)


def pad1d(x, before: int, after: int, value: float = 0.0) -> np.ndarray:
    """``x`` (…, M) with ``before`` and ``after`` copies of ``value`` added along the last axis."""
    x = np.asarray(x, dtype=np.float64)
    before, after = _positive_int(before, "before", 0), _positive_int(after, "after", 0)
    out = np.full(x.shape[:-1] + (x.shape[-1] + before + after,), value, dtype=np.float64)
    out[..., before:before + x.shape[-1]] = x
    return out


def pad2d(x, rows: tuple[int, int], cols: tuple[int, int], value: float = 0.0) -> np.ndarray:
    """``x`` (…, M, N) padded with ``rows = (top, bottom)`` and ``cols = (left, right)``."""
    x = np.asarray(x, dtype=np.float64)
    (top, bottom), (left, right) = rows, cols
    M, N = x.shape[-2:]
    out = np.full(x.shape[:-2] + (M + top + bottom, N + left + right), value, dtype=np.float64)
    out[..., top:top + M, left:left + N] = x
    return out


def _padding2d(padding, input_shape, kernel_shape, stride) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) from a 2-D padding spec.

    Accepts a mode string, an int, a pair ``(p_rows, p_cols)`` or ``((top, bottom), (left, right))``.
    """
    (M, N), (m, n) = input_shape, kernel_shape
    s_r, s_c = _pair(stride, "stride")
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(f"2-D padding should be an int, a mode, (rows, cols) or ((top, bottom), (left, right)); got {padding!r}")
        p_r, p_c = padding
    else:
        p_r = p_c = padding
    return resolve_padding(p_r, M, m, s_r), resolve_padding(p_c, N, n, s_c)


# --------------------------------------------------------------------------- 1-D, one channel

def flip_kernel(w, axes: int | None = None) -> np.ndarray:
    """Reverse a kernel along its last ``axes`` axes (default: all of them).

    Convolving with ``w`` is correlating with ``flip_kernel(w)``. For framework weights of shape
    (out_ch, in_ch, kh, kw) use ``axes=2`` to flip only the two spatial axes.
    """
    w = np.asarray(w)
    axes = w.ndim if axes is None else _positive_int(axes, "axes", 0)
    if axes > w.ndim:
        raise ValueError(f"cannot flip {axes} axes of a kernel with shape {w.shape}")
    return np.flip(w, axis=tuple(range(w.ndim - axes, w.ndim))).copy() if axes else w.copy()


def _correlate1d(x: np.ndarray, w: np.ndarray, padding: Padding1D, stride: int) -> np.ndarray:
    M, m = x.shape[0], w.shape[0]
    before, after = resolve_padding(padding, M, m, stride)
    n_out = _output_length(M, m, (before, after), stride)
    xp = pad1d(x, before, after)
    out = np.empty(n_out)
    for i in range(n_out):
        start = i * stride
        total = 0.0
        for k in range(m):
            total += xp[start + k] * w[k]
        out[i] = total
    return out


def correlate1d(x, w, padding: Padding1D = "valid", stride: int = 1) -> np.ndarray:
    """Cross-correlation c(i) = Σ_k x_p(i·s + k) · w(k) of a signal with a kernel, by loops.

    This is what ``torch.nn.functional.conv1d`` computes (no kernel flip).

    Args:
        x: signal, shape (M,).
        w: kernel, shape (m,).
        padding: "valid", "same", "full", an int, or (before, after); x_p is x padded with zeros.
        stride: step s between output positions.
    Returns:
        float64 array of shape (M',), M' = :func:`output_length` (M, m, padding, stride).
    """
    x = _as_array(x, "signal x", 1)
    w = _as_array(w, "kernel w", 1)
    stride = _positive_int(stride, "stride")
    return _correlate1d(x, w, padding, stride)


def _convolve1d(x: np.ndarray, w: np.ndarray, padding: Padding1D, stride: int) -> np.ndarray:
    M, m = x.shape[0], w.shape[0]
    before, after = resolve_padding(padding, M, m, stride)
    n_out = _output_length(M, m, (before, after), stride)
    xp = pad1d(x, before, after)
    out = np.empty(n_out)
    for i in range(n_out):
        t = (m - 1) + i * stride          # position in the full convolution of x_p with w
        total = 0.0
        for a in range(t - m + 1, t + 1):  # every a with 0 ≤ t − a < m
            total += xp[a] * w[t - a]
        out[i] = total
    return out


@checks.reference
def convolve1d(x, w, padding: Padding1D = "valid", stride: int = 1) -> np.ndarray:
    """Convolution s(t) = Σ_a x(a) · w(t − a), by loops, keeping the positions the padding allows.

    With ``padding="valid"`` the kernel always lies wholly inside x: t = m − 1, …, M − 1, so the
    output has M − m + 1 values and equals ``np.convolve(x, w, "valid")``; ``"full"`` equals
    ``np.convolve(x, w, "full")``. ``"same"`` pads like torch/TensorFlow (extra zero at the end), so
    that ``convolve1d(x, w, p) == correlate1d(x, flip_kernel(w), p)`` for every padding p; numpy's
    ``"same"`` centres the other way for even m (it equals padding ``(m // 2, m // 2 - 1)``).

    Args:
        x: signal, shape (M,).
        w: kernel, shape (m,).
        padding, stride: as in :func:`correlate1d`.
    Returns:
        float64 array of shape (M',).
    """
    x = _as_array(x, "signal x", 1)
    w = _as_array(w, "kernel w", 1)
    stride = _positive_int(stride, "stride")
    return _convolve1d(x, w, padding, stride)


@checks.reference
def convolve1d_torch(x, w):
    """True 'valid' convolution computed with torch's ``F.conv1d`` (a correlation) and a flipped kernel.

    Args:
        x: signal, shape (M,) (array or tensor).
        w: kernel, shape (m,), m ≤ M.
    Returns:
        torch float64 tensor of shape (M − m + 1,), equal to ``np.convolve(x, w, "valid")``.
    """
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(_as_array(x, "signal x", 1))
    w = torch.as_tensor(_as_array(w, "kernel w", 1))
    _output_length(x.shape[0], w.shape[0])
    return F.conv1d(x.view(1, 1, -1), torch.flip(w, dims=(0,)).view(1, 1, -1)).view(-1)


# --------------------------------------------------------------------------- 2-D, one channel

def correlate2d(x, w, padding="valid", stride=1) -> np.ndarray:
    """2-D cross-correlation of an M×N array with an m×n kernel, by loops over output positions.

    c(i, j) = Σ_{k,l} x_p(i·s_r + k, j·s_c + l) · w(k, l) — what ``F.conv2d`` computes.

    Args:
        x: input, shape (M, N), e.g. a spectrogram (frequency × time).
        w: kernel, shape (m, n).
        padding: a mode ("valid", "same", "full"), an int, (p_rows, p_cols) or
            ((top, bottom), (left, right)); each entry may itself be a mode or (before, after).
        stride: int or (s_rows, s_cols).
    Returns:
        float64 array of shape (M', N') (:func:`output_shape`).
    """
    x = _as_array(x, "input x", 2)
    w = _as_array(w, "kernel w", 2)
    return _correlate2d(x, w, padding, stride)


def _correlate2d(x, w, padding, stride) -> np.ndarray:
    (M, N), (m, n) = x.shape, w.shape
    s_r, s_c = _pair(stride, "stride")
    rows, cols = _padding2d(padding, (M, N), (m, n), (s_r, s_c))
    M_out, N_out = _output_length(M, m, rows, s_r), _output_length(N, n, cols, s_c)
    xp = pad2d(x, rows, cols)
    out = np.empty((M_out, N_out))
    for i in range(M_out):
        for j in range(N_out):
            patch = xp[i * s_r:i * s_r + m, j * s_c:j * s_c + n]
            out[i, j] = np.sum(patch * w)
    return out


def convolve2d(x, w, padding="valid", stride=1) -> np.ndarray:
    """2-D convolution s(i, j) = Σ_{a,b} x(a, b) · w(i − a, j − b): correlation with w flipped in both axes.

    ``padding="valid"`` and ``"full"`` equal ``scipy.signal.convolve2d`` with the same mode. Shapes
    and arguments as in :func:`correlate2d`.
    """
    x = _as_array(x, "input x", 2)
    w = _as_array(w, "kernel w", 2)
    return _correlate2d(x, w[::-1, ::-1], padding, stride)


# --------------------------------------------------------------------------- framework layers

def conv1d(x, weight, bias=None, stride: int = 1, padding: Padding1D = 0) -> np.ndarray:
    """A convolutional layer as frameworks define it (a correlation), by loops: like ``F.conv1d``.

    Args:
        x: input, shape (in_ch, L) or (batch, in_ch, L).
        weight: filters, shape (out_ch, in_ch, m).
        bias: shape (out_ch,) or None.
        stride: int; padding: as in :func:`correlate1d`.
    Returns:
        float64 array of shape (out_ch, L') or (batch, out_ch, L').
    """
    x = _as_array(x, "input x", (2, 3))
    weight = _as_array(weight, "weight", 3)
    batched = x.ndim == 3
    xb = x if batched else x[None]
    if xb.shape[1] != weight.shape[1]:
        raise ValueError(f"input has {xb.shape[1]} channels but the weight of shape {weight.shape} expects "
                         f"{weight.shape[1]} (weight shape is (out_ch, in_ch, m))")
    b = np.zeros(weight.shape[0]) if bias is None else _as_array(bias, "bias", 1)
    if b.shape[0] != weight.shape[0]:
        raise ValueError(f"bias has {b.shape[0]} values, expected one per filter ({weight.shape[0]})")
    s = _positive_int(stride, "stride")
    L, m = xb.shape[2], weight.shape[2]
    before, after = resolve_padding(padding, L, m, s)
    L_out = _output_length(L, m, (before, after), s)
    xp = pad1d(xb, before, after)
    out = np.empty((xb.shape[0], weight.shape[0], L_out))
    for i in range(L_out):
        patch = xp[:, :, i * s:i * s + m]                           # (batch, in_ch, m)
        out[:, :, i] = np.tensordot(patch, weight, axes=([1, 2], [1, 2])) + b
    return out if batched else out[0]


def conv2d(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """A 2-D convolutional layer (a correlation, as in frameworks), by loops: like ``F.conv2d``.

    Args:
        x: input, shape (in_ch, M, N) or (batch, in_ch, M, N).
        weight: filters, shape (out_ch, in_ch, m, n).
        bias: shape (out_ch,) or None.
        stride: int or (s_rows, s_cols); padding: as in :func:`correlate2d`.
    Returns:
        float64 array of shape (out_ch, M', N') or (batch, out_ch, M', N').
    """
    x = _as_array(x, "input x", (3, 4))
    weight = _as_array(weight, "weight", 4)
    batched = x.ndim == 4
    xb = x if batched else x[None]
    if xb.shape[1] != weight.shape[1]:
        raise ValueError(f"input has {xb.shape[1]} channels but the weight of shape {weight.shape} expects "
                         f"{weight.shape[1]} (weight shape is (out_ch, in_ch, m, n))")
    b = np.zeros(weight.shape[0]) if bias is None else _as_array(bias, "bias", 1)
    if b.shape[0] != weight.shape[0]:
        raise ValueError(f"bias has {b.shape[0]} values, expected one per filter ({weight.shape[0]})")
    (M, N), (m, n) = xb.shape[2:], weight.shape[2:]
    s_r, s_c = _pair(stride, "stride")
    rows, cols = _padding2d(padding, (M, N), (m, n), (s_r, s_c))
    M_out, N_out = _output_length(M, m, rows, s_r), _output_length(N, n, cols, s_c)
    xp = pad2d(xb, rows, cols)
    out = np.empty((xb.shape[0], weight.shape[0], M_out, N_out))
    for i in range(M_out):
        for j in range(N_out):
            patch = xp[:, :, i * s_r:i * s_r + m, j * s_c:j * s_c + n]   # (batch, in_ch, m, n)
            out[:, :, i, j] = np.tensordot(patch, weight, axes=([1, 2, 3], [1, 2, 3])) + b
    return out if batched else out[0]


# --------------------------------------------------------------------------- pooling

def _pool1d(x, size, stride, reduce: Callable, what: str) -> np.ndarray:
    x = _as_array(x, "input x", tuple(range(1, 8)), form="(M,) or, with leading channel/batch axes, (..., M)")
    k = _positive_int(size, "pool size")
    s = k if stride is None else _positive_int(stride, "stride")
    M = x.shape[-1]
    if k > M:
        raise ValueError(f"{what} window ({k}) is longer than the input ({M} values along the last axis)")
    n_out = (M - k) // s + 1
    out = np.empty(x.shape[:-1] + (n_out,))
    for i in range(n_out):
        out[..., i] = reduce(x[..., i * s:i * s + k], axis=-1)
    return out


def _pool2d(x, size, stride, reduce: Callable, what: str) -> np.ndarray:
    x = _as_array(x, "input x", tuple(range(2, 8)),
                  form="(M, N) (a 2-D feature map) or, with leading channel/batch axes, (..., M, N)")
    kr, kc = _pair(size, "pool size")
    s_r, s_c = (kr, kc) if stride is None else _pair(stride, "stride")
    M, N = x.shape[-2:]
    if kr > M or kc > N:
        raise ValueError(f"{what} window {kr}×{kc} does not fit in the input's last two axes {M}×{N}")
    M_out, N_out = (M - kr) // s_r + 1, (N - kc) // s_c + 1
    out = np.empty(x.shape[:-2] + (M_out, N_out))
    for i in range(M_out):
        for j in range(N_out):
            out[..., i, j] = reduce(x[..., i * s_r:i * s_r + kr, j * s_c:j * s_c + kc], axis=(-2, -1))
    return out


def max_pool1d(x, size: int, stride: int | None = None) -> np.ndarray:
    """Largest value in each window of ``size`` along the last axis, windows ``stride`` apart.

    Args:
        x: shape (..., M); leading axes (channels, batch) are kept.
        size: window length k; stride: step (default k: windows do not overlap, as in torch).
    Returns:
        shape (..., floor((M − k)/s) + 1). Values that no window reaches are dropped.
    """
    return _pool1d(x, size, stride, np.max, "max-pool")


def avg_pool1d(x, size: int, stride: int | None = None) -> np.ndarray:
    """Mean of each window of ``size`` along the last axis; shapes as in :func:`max_pool1d`."""
    return _pool1d(x, size, stride, np.mean, "average-pool")


@checks.reference
def max_pool2d(x, size, stride=None) -> np.ndarray:
    """Largest value in each ``size`` window of the last two axes (like ``F.max_pool2d``).

    Args:
        x: shape (..., M, N), e.g. a feature map (frequency × time).
        size: int or (rows, cols) — e.g. (40, 1) pools over all 40 bands of one frame.
        stride: int or (rows, cols); default: the size (non-overlapping windows).
    Returns:
        shape (..., M', N') with M' = floor((M − k_r)/s_r) + 1 and N' likewise.
    """
    return _pool2d(x, size, stride, np.max, "max-pool")


def avg_pool2d(x, size, stride=None) -> np.ndarray:
    """Mean of each window of the last two axes (like ``F.avg_pool2d``); as :func:`max_pool2d`."""
    return _pool2d(x, size, stride, np.mean, "average-pool")


# --------------------------------------------------------------------------- parameter counts

def conv1d_params(n_filters: int, kernel_length: int, in_channels: int = 1, bias: bool = True) -> int:
    """Weights of a 1-D conv layer: n_filters × (m · in_channels + 1) (the + 1 only with bias)."""
    f = _positive_int(n_filters, "n_filters")
    m = _positive_int(kernel_length, "kernel_length")
    c = _positive_int(in_channels, "in_channels")
    return f * (m * c + int(bool(bias)))


@checks.reference
def conv2d_params(n_filters: int, kernel_shape, in_channels: int = 1, bias: bool = True) -> int:
    """Weights of a 2-D conv layer: n_filters × (kh · kw · in_channels + 1) (the + 1 only with bias).

    The count does not depend on the input's size: every filter is shared by all positions.
    """
    f = _positive_int(n_filters, "n_filters")
    kh, kw = _pair(tuple(kernel_shape) if isinstance(kernel_shape, list) else kernel_shape, "kernel_shape")
    c = _positive_int(in_channels, "in_channels")
    return f * (kh * kw * c + int(bool(bias)))


def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Weights of a fully connected layer: n_out × (n_in + 1) (the + 1 only with bias)."""
    a = _positive_int(n_in, "n_in")
    b = _positive_int(n_out, "n_out")
    return b * (a + int(bool(bias)))


@checks.reference
def single_layer_cnn_params(input_shape, n_filters: int, kernel_shape, pool_shape,
                            n_hidden: int | None, n_classes: int) -> int:
    """Parameters of conv ('valid', stride 1, bias) → max-pool (stride = pool size) → [dense] → softmax.

    This is the shape of Pons et al.'s Black-box, Time and Frequency models (seed 002).

    Args:
        input_shape: (M, N) of the spectrogram patch, e.g. (40, 80).
        n_filters: number of conv filters; kernel_shape: (m, n).
        pool_shape: (p_rows, p_cols) of the max-pool over each feature map.
        n_hidden: units of a hidden dense layer, or None/0 for none.
        n_classes: softmax outputs.
    Returns:
        total number of trainable parameters (int).
    """
    M, N = _pair(tuple(input_shape), "input_shape")
    m, n = _pair(tuple(kernel_shape), "kernel_shape")
    pr, pc = _pair(tuple(pool_shape), "pool_shape")
    M1, N1 = _output_length(M, m), _output_length(N, n)
    if pr > M1 or pc > N1:
        raise ValueError(f"pool {pr}×{pc} does not fit in the {M1}×{N1} feature maps")
    n_filters = _positive_int(n_filters, "n_filters")
    flat = n_filters * ((M1 - pr) // pr + 1) * ((N1 - pc) // pc + 1)
    total = n_filters * (m * n + 1)
    if n_hidden:
        total += dense_params(flat, n_hidden)
        flat = n_hidden
    return total + dense_params(flat, n_classes)


# --------------------------------------------------------------------------- sounds for the demos

def _check_sr(sr) -> int:
    return _positive_int(sr, "sample rate sr")


def click_track(bpm: float, seconds: float, sr: int = 22050, click_ms: float = 8.0,
                freq: float = 1500.0, offset: float = 0.0) -> np.ndarray:
    """A metronome: short decaying sine clicks every 60/bpm seconds (float32, shape (n_samples,))."""
    sr = _check_sr(sr)
    if not (bpm > 0 and seconds > 0):
        raise ValueError(f"bpm and seconds should be positive, got bpm={bpm}, seconds={seconds}")
    y = np.zeros(int(round(seconds * sr)), dtype=np.float64)
    n_click = max(1, int(sr * click_ms / 1000))
    t = np.arange(n_click) / sr
    click = np.sin(2 * np.pi * freq * t) * np.exp(-t / (click_ms / 4000))
    beat = 60.0 / bpm
    onset = offset
    while onset < seconds:
        start = int(round(onset * sr))
        stop = min(start + n_click, y.size)
        y[start:stop] += click[:stop - start]
        onset += beat
    return (0.8 * y / max(1e-12, np.max(np.abs(y)))).astype(np.float32)


def tone(f0: float, seconds: float, sr: int = 22050, n_harmonics: int = 6, rolloff: float = 0.6,
         attack: float = 0.01, decay: float | None = None) -> np.ndarray:
    """A harmonic tone: partials k·f0 (k = 1..n_harmonics) with amplitude rolloff**(k−1).

    Partials above the Nyquist frequency are left out. ``decay`` (seconds) adds an exponential
    fade (a plucked sound); None keeps it sustained. Returns float32 (n_samples,), peak 0.8.
    """
    sr = _check_sr(sr)
    if not (f0 > 0 and seconds > 0):
        raise ValueError(f"f0 and seconds should be positive, got f0={f0}, seconds={seconds}")
    t = np.arange(int(round(seconds * sr))) / sr
    y = np.zeros_like(t)
    for k in range(1, _positive_int(n_harmonics, "n_harmonics") + 1):
        if k * f0 < sr / 2:
            y += rolloff ** (k - 1) * np.sin(2 * np.pi * k * f0 * t)
    env = np.minimum(1.0, t / max(attack, 1e-6))
    if decay:
        env = env * np.exp(-t / decay)
    env[-min(len(env), int(0.01 * sr)):] *= np.linspace(1, 0, min(len(env), int(0.01 * sr)))
    y *= env
    return (0.8 * y / max(1e-12, np.max(np.abs(y)))).astype(np.float32)


def _midi_to_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12)


def chord(midi_notes: Sequence[float], seconds: float, sr: int = 22050, **tone_kwargs) -> np.ndarray:
    """The sum of :func:`tone` s at the given MIDI pitches (60 = middle C), peak 0.8, float32."""
    if len(midi_notes) == 0:
        raise ValueError("chord needs at least one MIDI note")
    y = sum(tone(_midi_to_hz(n), seconds, sr, **tone_kwargs).astype(np.float64) for n in midi_notes)
    return (0.8 * y / max(1e-12, np.max(np.abs(y)))).astype(np.float32)


def drum_groove(bpm: float, seconds: float, sr: int = PONS_SR, chord_notes: Sequence[float] = (48, 55, 64, 67),
                seed: int = 0) -> np.ndarray:
    """A short groove: kick on every beat, hi-hat on every off-beat, a sustained chord underneath.

    Gives a spectrogram with vertical lines (drums, periodic in time) and horizontal lines
    (the chord's partials, fixed in frequency) — what temporal and frequency filters look for.
    Returns float32 (n_samples,), peak 0.8.
    """
    sr = _check_sr(sr)
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    y = np.zeros(n)
    beat = 60.0 / bpm
    t_k = np.arange(int(0.15 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-t_k / 0.03)) * t_k) * np.exp(-t_k / 0.06)
    t_h = np.arange(int(0.08 * sr)) / sr
    hat = np.diff(rng.standard_normal(t_h.size), prepend=0.0) * np.exp(-t_h / 0.03)   # bright noise burst
    for i in range(int(seconds / beat) + 1):
        for onset, sound, gain in ((i * beat, kick, 0.7), ((i + 0.5) * beat, hat, 0.6)):
            start = int(round(onset * sr))
            if start >= n:
                continue
            stop = min(n, start + sound.size)
            y[start:stop] += gain * sound[:stop - start]
    y += 0.5 * chord(chord_notes, seconds, sr, n_harmonics=8, rolloff=0.7).astype(np.float64)
    return (0.8 * y / max(1e-12, np.max(np.abs(y)))).astype(np.float32)


# --------------------------------------------------------------------------- features for the demos

def energy_envelope(y, sr: int, frame_length: int = 1024, hop: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Root-mean-square energy per frame.

    Returns ``(env, times)``: float64 (n_frames,) and the frame centres in seconds.
    """
    y = _as_array(y, "audio y", 1)
    sr = _check_sr(sr)
    frame_length = _positive_int(frame_length, "frame_length")
    hop = _positive_int(hop, "hop")
    if y.size < frame_length:
        raise ValueError(f"audio has {y.size} samples, fewer than one frame ({frame_length})")
    n_frames = (y.size - frame_length) // hop + 1
    env = np.empty(n_frames)
    for i in range(n_frames):
        frame = y[i * hop:i * hop + frame_length]
        env[i] = np.sqrt(np.mean(frame ** 2))
    times = (np.arange(n_frames) * hop + frame_length / 2) / sr
    return env, times


def semitone_spectrum(y, sr: int, midi_lo: int = 36, midi_hi: int = 108) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude spectrum summed into semitone bins (a log-frequency axis).

    Each FFT bin goes to the nearest MIDI pitch; pitches ``midi_lo`` … ``midi_hi − 1``.
    On this axis a harmonic's distance from its fundamental is the same for every note
    (octave = 12 bins, fifth above it = 19, …), so one template fits all pitches.
    Returns ``(spectrum, midi)``: float64 (n_bins,), and the MIDI number of each bin.
    """
    y = _as_array(y, "audio y", 1)
    sr = _check_sr(sr)
    if not midi_lo < midi_hi:
        raise ValueError(f"midi_lo ({midi_lo}) should be below midi_hi ({midi_hi})")
    mag = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    freqs = np.fft.rfftfreq(y.size, 1 / sr)
    midi = np.arange(midi_lo, midi_hi)
    spec = np.zeros(midi.size)
    with np.errstate(divide="ignore"):
        pitch = 69 + 12 * np.log2(freqs / 440.0)
    idx = np.round(pitch[1:]).astype(int) - midi_lo
    ok = (idx >= 0) & (idx < midi.size)
    np.add.at(spec, idx[ok], mag[1:][ok])
    return spec / max(1e-12, spec.max()), midi


# --------------------------------------------------------------------------- kernels for the demos

def onset_kernel(m: int = 4) -> np.ndarray:
    """A rising-edge detector for correlation: −1/h … −1/h, +1/h … +1/h (first half −, second +).

    Correlated with an energy envelope it is large where the energy jumps up (a note onset).
    ``m`` must be even. Convolution would flip it into a falling-edge detector.
    """
    m = _positive_int(m, "m", 2)
    if m % 2:
        raise ValueError(f"onset_kernel needs an even length, got {m}")
    h = m // 2
    return np.concatenate([-np.ones(h), np.ones(h)]) / h


def harmonic_template(n_harmonics: int = 6, rolloff: float = 0.5) -> np.ndarray:
    """A kernel on the semitone axis with a peak at each harmonic: offsets round(12·log2 k).

    Offsets 0, 12, 19, 24, 28, 31, … semitones; weights rolloff**(k−1). Used with correlation,
    the output at bin i says how much the partials of a note at pitch i are present.
    """
    n_harmonics = _positive_int(n_harmonics, "n_harmonics")
    offsets = [int(round(12 * math.log2(k))) for k in range(1, n_harmonics + 1)]
    w = np.zeros(offsets[-1] + 1)
    for k, off in enumerate(offsets):
        w[off] += rolloff ** k
    return w


def beat_comb(period: int, n_beats: int = 3, width: int = 1) -> np.ndarray:
    """A 1-D temporal kernel with ``n_beats`` pulses ``period`` frames apart (length (n_beats−1)·period + width).

    As a 1×n filter on a spectrogram it responds to energy that repeats at that period (tempo).
    """
    period = _positive_int(period, "period")
    n_beats = _positive_int(n_beats, "n_beats")
    width = _positive_int(width, "width")
    w = np.zeros((n_beats - 1) * period + width)
    for b in range(n_beats):
        w[b * period:b * period + width] = 1.0
    return w - w.mean()


# --------------------------------------------------------------------------- timing

def best_time(fn: Callable, *args, repeat: int = 3, **kwargs) -> float:
    """Best wall-clock time in seconds of ``repeat`` calls of ``fn(*args, **kwargs)``."""
    repeat = _positive_int(repeat, "repeat")
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best


# --------------------------------------------------------------------------- plotting

def plot_maps(maps: Sequence, titles: Sequence[str] | None = None, *, xlabel: str = "frame",
              ylabel: str = "mel band", cmap: str = "magma", width: float = 4.2, height: float = 3.2,
              colorbar: bool = True):
    """Show 2-D arrays (spectrograms, kernels, feature maps) side by side, low bands at the bottom.

    Each title gets the array's shape appended as "M×N". Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    arrays = [np.asarray(a.detach().cpu() if hasattr(a, "detach") else a, dtype=np.float64) for a in maps]
    for i, a in enumerate(arrays):
        if a.ndim != 2:
            raise ValueError(f"map {i} should be 2-D (rows × columns), got shape {a.shape}")
    titles = list(titles) if titles is not None else [""] * len(arrays)
    if len(titles) != len(arrays):
        raise ValueError(f"got {len(arrays)} maps but {len(titles)} titles")
    fig, axes = plt.subplots(1, len(arrays), figsize=(width * len(arrays), height), squeeze=False)
    for ax, a, title in zip(axes[0], arrays, titles):
        im = ax.imshow(a, origin="lower", aspect="auto", cmap=cmap, interpolation="nearest")
        ax.set_title(f"{title} ({a.shape[0]}×{a.shape[1]})".strip())
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if colorbar:
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig
