"""MusiCNN (Pons & Serra 2019, the ``musicnn`` package) rebuilt in PyTorch, layer for layer.

The model is a readable sequence of named stages, as in the original ``musicnn/models.py``::

    input BN  ->  front-end  ->  mid-end  ->  back-end  ->  50 tag logits
                 (timbral +     (3 conv1d,    (max & mean over time, BN, dropout,
                  temporal)      residual,     dense 200, ReLU, BN, dropout, dense 50)
                                 dense conc.)

Shapes for one 3-s patch (187 frames, 96 mel bands), batch ``B``:

======================  ==========================  =============================================
stage                   output                      what it does
======================  ==========================  =============================================
input BN                ``(B, 1, 187, 96)``         one scalar mean/var/γ/β for the whole input
timbral (f74, f77)      ``(B, 204 + 204, 187)``     7×38 and 7×67 (time × freq) filters, time pad
                                                    3/3, freq "valid", ReLU, BN, max over freq
temporal (s1, s2, s3)   ``(B, 51 · 3, 187)``        128×1, 64×1, 32×1 filters on every mel bin,
                                                    TF "same" padding (63/64, 31/32, 15/16),
                                                    ReLU, BN, max over freq
front-end               ``(B, 561, 187)``           concat f74, f77, s1, s2, s3 (this order)
cnn1, cnn2, cnn3        ``(B, 64, 187)`` each       conv1d width 7 (pad 3/3) → ReLU → BN;
                                                    cnn2 = BN(...) + cnn1, cnn3 = BN(...) + cnn2
mid-end                 ``(B, 753, 187)``           concat front-end, cnn1, cnn2, cnn3
pooled                  ``(B, 1506)``               max and mean over time, **interleaved**:
                                                    [max_0, mean_0, max_1, mean_1, ...]
penultimate             ``(B, 200)``                BN → dropout → dense → ReLU → BN
logits                  ``(B, 50)``                 dropout → dense (sigmoid gives the taggram)
======================  ==========================  =============================================

Every block is conv → ReLU → batch norm (in that order), and every batch norm uses ε = 10⁻³ and
TensorFlow's momentum 0.99 (PyTorch ``momentum=0.01``). With the defaults the model has
787,159 trainable parameters, exactly the original's.

The class takes input of shape ``(batch, n_mels, n_frames)`` like every model of the course and
transposes inside. Any number of frames ≥ 1 works (pooling is global over time), but the
pretrained weights were trained on 187-frame patches.

Registered in :mod:`mmteach.models` as ``"musicnn"``; for small variants trained from scratch use
``width`` (front-end filter multiplier, 1.6 in the original: int(1.6·128) = 204 timbral and
int(1.6·32) = 51 temporal filters per branch), ``num_filt_midend`` and ``n_units_backend``.
The pretrained weights are loaded by :func:`mmteach.pretrained.load_musicnn`.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .. import checks
from . import register

__all__ = [
    "MusiCNN", "TimbralBlock", "TemporalBlock", "MidEnd", "BackEnd", "same_padding", "interleave_pools",
    "BN_EPS", "BN_MOMENTUM", "FEATURE_KEYS",
]

BN_EPS = 1e-3          # tf.compat.v1.layers.batch_normalization default epsilon
BN_MOMENTUM = 0.01     # PyTorch convention = 1 - TF momentum 0.99

FEATURE_KEYS = ("input_bn", "timbral", "temporal", "frontend", "cnn1", "cnn2", "cnn3", "midend",
                "max_pool", "mean_pool", "pooled", "penultimate", "logits", "taggram")


def _bn2d(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


def _bn1d(channels: int) -> nn.BatchNorm1d:
    return nn.BatchNorm1d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


@checks.reference
def same_padding(kernel_size: int) -> tuple[int, int]:
    """TensorFlow "same" padding (stride 1) for a kernel of length ``kernel_size``: ``(before, after)``.

    The total padding is ``kernel_size - 1``; when it is odd, the extra zero goes *after* the
    signal: 128 → (63, 64), 64 → (31, 32), 32 → (15, 16), 7 → (3, 3).
    """
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 1:
        raise ValueError(f"kernel_size must be a positive int, got {kernel_size!r}")
    total = kernel_size - 1
    return total // 2, total - total // 2


@checks.reference
def interleave_pools(max_pool: torch.Tensor, mean_pool: torch.Tensor) -> torch.Tensor:
    """Flatten ``(B, C)`` max and mean pools the way the original flattens ``[B, C, 2]``.

    Returns ``(B, 2C)`` ordered ``[max_0, mean_0, max_1, mean_1, ...]`` — not ``[all max | all mean]``.
    """
    if max_pool.shape != mean_pool.shape or max_pool.dim() != 2:
        raise ValueError(f"expected two (batch, channels) tensors of the same shape, got "
                         f"{tuple(max_pool.shape)} and {tuple(mean_pool.shape)}")
    return torch.stack([max_pool, mean_pool], dim=-1).flatten(1)


class TimbralBlock(nn.Module):
    """Timbral branch: ``n_filters`` filters of ``time_size × freq_size`` on the input.

    Input ``(B, 1, T, F)`` (already batch-normalised, not padded); zero padding 3/3 in time,
    "valid" in frequency → conv → ReLU → BN → max over the ``F - freq_size + 1`` frequency
    positions → ``(B, n_filters, T)``.
    """

    def __init__(self, n_filters: int, freq_size: int, time_size: int = 7):
        super().__init__()
        self.time_pad = same_padding.__wrapped__(time_size)
        self.conv = nn.Conv2d(1, n_filters, (time_size, freq_size))
        self.bn = _bn2d(n_filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (0, 0, *self.time_pad))          # pad time (dim 2) only
        x = self.bn(F.relu(self.conv(x)))             # (B, n_filters, T, F')
        return x.amax(dim=3)                          # max over frequency


class TemporalBlock(nn.Module):
    """Temporal branch: ``n_filters`` filters of ``time_size × 1``, applied to every mel band.

    Input ``(B, 1, T, F)``; TensorFlow "same" padding in time (63/64 for 128) → conv → ReLU → BN →
    max over all ``F`` bands → ``(B, n_filters, T)``.
    """

    def __init__(self, n_filters: int, time_size: int):
        super().__init__()
        self.time_pad = same_padding.__wrapped__(time_size)
        self.conv = nn.Conv2d(1, n_filters, (time_size, 1))
        self.bn = _bn2d(n_filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (0, 0, *self.time_pad))
        x = self.bn(F.relu(self.conv(x)))             # (B, n_filters, T, F)
        return x.amax(dim=3)


class FrontEnd(nn.Module):
    """Input batch norm + the five parallel branches f74, f77, s1, s2, s3 → ``(B, 561, T)``."""

    def __init__(self, n_mels: int = 96, width: float = 1.6):
        super().__init__()
        n_timbral, n_temporal = int(width * 128), int(width * 32)
        if n_timbral < 1 or n_temporal < 1:
            raise ValueError(f"width={width} gives no filters; use width >= 1/32")
        self.input_bn = _bn2d(1)
        self.f74 = TimbralBlock(n_timbral, int(0.4 * n_mels))
        self.f77 = TimbralBlock(n_timbral, int(0.7 * n_mels))
        self.s1 = TemporalBlock(n_temporal, 128)
        self.s2 = TemporalBlock(n_temporal, 64)
        self.s3 = TemporalBlock(n_temporal, 32)
        self.n_timbral = 2 * n_timbral
        self.n_temporal = 3 * n_temporal
        self.out_channels = self.n_timbral + self.n_temporal

    def forward(self, x: torch.Tensor, features: dict | None = None) -> torch.Tensor:
        """``x``: ``(B, 1, T, F)`` → ``(B, 561, T)``."""
        x = self.input_bn(x)
        timbral = torch.cat([self.f74(x), self.f77(x)], dim=1)
        temporal = torch.cat([self.s1(x), self.s2(x), self.s3(x)], dim=1)
        out = torch.cat([timbral, temporal], dim=1)
        if features is not None:
            features.update(input_bn=x[:, 0].transpose(1, 2), timbral=timbral, temporal=temporal, frontend=out)
        return out


class MidEnd(nn.Module):
    """Three width-7 1-D convolutions with residual and dense connections.

    cnn1 = BN(ReLU(conv1(x))); cnn2 = BN(ReLU(conv2(cnn1))) + cnn1; cnn3 = BN(ReLU(conv3(cnn2))) + cnn2;
    output = concat(x, cnn1, cnn2, cnn3) along channels → ``(B, C + 3·num_filt, T)``.
    """

    def __init__(self, in_channels: int = 561, num_filt: int = 64, kernel_size: int = 7):
        super().__init__()
        pad = same_padding.__wrapped__(kernel_size)
        if pad[0] != pad[1]:
            raise ValueError(f"mid-end kernel_size must be odd, got {kernel_size}")
        self.conv1 = nn.Conv1d(in_channels, num_filt, kernel_size, padding=pad[0])
        self.bn1 = _bn1d(num_filt)
        self.conv2 = nn.Conv1d(num_filt, num_filt, kernel_size, padding=pad[0])
        self.bn2 = _bn1d(num_filt)
        self.conv3 = nn.Conv1d(num_filt, num_filt, kernel_size, padding=pad[0])
        self.bn3 = _bn1d(num_filt)
        self.out_channels = in_channels + 3 * num_filt

    def forward(self, x: torch.Tensor, features: dict | None = None) -> torch.Tensor:
        cnn1 = self.bn1(F.relu(self.conv1(x)))
        cnn2 = self.bn2(F.relu(self.conv2(cnn1))) + cnn1
        cnn3 = self.bn3(F.relu(self.conv3(cnn2))) + cnn2
        out = torch.cat([x, cnn1, cnn2, cnn3], dim=1)
        if features is not None:
            features.update(cnn1=cnn1, cnn2=cnn2, cnn3=cnn3, midend=out)
        return out


class BackEnd(nn.Module):
    """Global max and mean over time (interleaved) → BN → dropout → dense → ReLU → BN → dropout → dense."""

    def __init__(self, in_channels: int = 753, n_units: int = 200, n_classes: int = 50, dropout: float = 0.5):
        super().__init__()
        self.pool_bn = _bn1d(2 * in_channels)
        self.dropout1 = nn.Dropout(dropout)
        self.dense = nn.Linear(2 * in_channels, n_units)
        self.dense_bn = _bn1d(n_units)
        self.dropout2 = nn.Dropout(dropout)
        self.output = nn.Linear(n_units, n_classes)

    def forward(self, x: torch.Tensor, features: dict | None = None) -> torch.Tensor:
        max_pool = x.amax(dim=2)
        mean_pool = x.mean(dim=2)
        pooled = interleave_pools.__wrapped__(max_pool, mean_pool)
        penultimate = self.dense_bn(F.relu(self.dense(self.dropout1(self.pool_bn(pooled)))))
        logits = self.output(self.dropout2(penultimate))
        if features is not None:
            features.update(max_pool=max_pool, mean_pool=mean_pool, pooled=pooled,
                            penultimate=penultimate, logits=logits, taggram=torch.sigmoid(logits))
        return logits


@register("musicnn", source="Pons & Serra 2019, musicnn (seed 000); the original musicnn/models.py")
class MusiCNN(nn.Module):
    """MusiCNN: ``(batch, n_mels, n_frames)`` log-mel patches → ``(batch, n_classes)`` tag logits.

    Apply ``torch.sigmoid`` to the logits for tag probabilities (the taggram), or call
    :meth:`features` to get every intermediate representation at once.

    Args:
        n_classes: number of tags (50 for MTT_musicnn and MSD_musicnn).
        n_mels: mel bands of the input (96 in the original; the timbral filters span
            int(0.4·n_mels) and int(0.7·n_mels) bands).
        width: front-end filter multiplier (1.6 → 204 timbral and 51 temporal filters per branch).
        num_filt_midend: filters of each mid-end convolution (64; 512 for MSD_musicnn_big).
        n_units_backend: units of the penultimate dense layer (200; 500 for MSD_musicnn_big).
        dropout: dropout rate in the back-end (0.5).
    """

    def __init__(self, n_classes: int = 50, n_mels: int = 96, width: float = 1.6,
                 num_filt_midend: int = 64, n_units_backend: int = 200, dropout: float = 0.5):
        super().__init__()
        if int(0.4 * n_mels) < 1:
            raise ValueError(f"n_mels={n_mels} is too small for the timbral filters (need n_mels >= 3)")
        self.n_mels = n_mels
        self.n_classes = n_classes
        self.frontend = FrontEnd(n_mels, width)
        self.midend = MidEnd(self.frontend.out_channels, num_filt_midend)
        self.backend = BackEnd(self.midend.out_channels, n_units_backend, n_classes, dropout)
        self.tags: list[str] | None = None    # set by mmteach.pretrained.load_musicnn

    def _check_input(self, x) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"MusiCNN expects a torch.Tensor of shape (batch, {self.n_mels}, n_frames), "
                            f"got {type(x).__name__}")
        if x.dim() != 3:
            hint = " (add a batch axis with x[None])" if x.dim() == 2 else ""
            raise ValueError(f"MusiCNN expects input of shape (batch, {self.n_mels}, n_frames), "
                             f"got shape {tuple(x.shape)}{hint}")
        if x.shape[1] != self.n_mels:
            hint = " — did you pass (batch, n_frames, n_mels)? transpose the last two axes" \
                if x.shape[2] == self.n_mels else ""
            raise ValueError(f"MusiCNN expects {self.n_mels} mel bands on axis 1, got shape "
                             f"{tuple(x.shape)}{hint}")
        if x.shape[2] < 1 or x.shape[0] < 1:
            raise ValueError(f"MusiCNN got an empty input of shape {tuple(x.shape)}")
        if not torch.is_floating_point(x):
            raise TypeError(f"MusiCNN expects a floating-point tensor, got {x.dtype}")
        return x

    def _run(self, x: torch.Tensor, features: dict | None) -> torch.Tensor:
        x = self._check_input(x)
        x = x.transpose(1, 2).unsqueeze(1)            # (B, 1, T, F): time is "height", as in TF
        out = self.frontend(x, features)
        out = self.midend(out, features)
        return self.backend(out, features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(batch, n_mels, n_frames)`` → tag logits ``(batch, n_classes)``."""
        return self._run(x, None)

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every intermediate representation, per patch, in one pass.

        Returns a dict (channels before time, like the input):

        - ``input_bn`` ``(B, n_mels, T)``: the batch-normalised input
        - ``timbral`` ``(B, 408, T)`` (f74 then f77), ``temporal`` ``(B, 153, T)`` (s1, s2, s3)
        - ``frontend`` ``(B, 561, T)``: timbral then temporal
        - ``cnn1``, ``cnn2``, ``cnn3`` ``(B, 64, T)``: mid-end layers (after BN and residual)
        - ``midend`` ``(B, 753, T)``: front-end, cnn1, cnn2, cnn3 concatenated
        - ``max_pool``, ``mean_pool`` ``(B, 753)``; ``pooled`` ``(B, 1506)`` interleaved
        - ``penultimate`` ``(B, 200)``; ``logits`` and ``taggram`` (sigmoid) ``(B, n_classes)``

        The original ``musicnn`` extractor returns cnn1–cnn3 of the *first* patch for every patch
        (a bug in its loop); these are computed for each patch.
        """
        feats: dict[str, torch.Tensor] = {}
        self._run(x, feats)
        return {k: feats[k] for k in FEATURE_KEYS}

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Tag probabilities ``(batch, n_classes)`` (sigmoid of the logits), without gradients."""
        return torch.sigmoid(self.forward(x))
