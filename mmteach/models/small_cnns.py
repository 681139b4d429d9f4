"""Small CNNs for lesson 10 (seeing and hearing CNNs), after seed 001 (Ren, Moon, Guo,
"Interpreting music genre classification in CNNs").

Three models, each taking ``(batch, n_mels, n_frames)`` log-mel patches (by default the musicnn
pipeline: 96 bands × 187 frames ≈ 3 s) and returning class logits:

==============  =================================================================================
name            layers
==============  =================================================================================
"vanilla-cnn"   conv1 8 × (5×5, same) → ReLU → max-pool 4×4 → conv2 16 × (3×3, same) → ReLU →
                max-pool 4×4 → flatten → dropout → dense 64 → ReLU → dropout → dense n_classes
                (2 conv + 2 dense, as the seed's vanilla model)
"masked-cnn"    the same, with an **elliptical mask** on conv2's output: each map is multiplied by
                a mask that is 1 inside an ellipse centred on the map's own maximum and falls to 0
                outside (after Zhang et al.'s interpretable CNNs, as the seed does), so each
                filter is pushed to describe one compact region
"gap-cnn"       conv1 8 × (5×5) → ReLU → max-pool 4×4 → conv2 16 × (3×3) → ReLU → max-pool 2×2 →
                conv3 32 × (3×3) → ReLU → **global average pooling** → dense n_classes. With no
                dense layer between the pooling and the output, the class logit is the mean over
                positions of Σ_k w_ck A_k, so that sum is a map of where the class evidence
                lies: the class activation map (Zhou et al. 2016)
==============  =================================================================================

All convolutions use "same" zero padding and have no batch norm, so deconvolution
(:func:`mmteach.interpret.deconvolve`) is exact layer by layer. Every model exposes
``conv_layers()``, ``conv_activations(x, upto)`` and ``conv1_activations(x)`` for the
interpretation tools; :class:`GapCNN` adds ``cam_features(x)`` and ``classifier``.

Lesson 10 trains them with :func:`mmteach.train.fit` (Adam, cross-entropy, best weights on
validation).
recipe of :mod:`mmteach.train`.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from . import register

__all__ = ["SmallCNN", "VanillaCNN", "MaskedCNN", "GapCNN", "elliptical_mask"]


def _check_input(x, n_mels: int, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} expects a torch.Tensor (batch, {n_mels}, n_frames), got {type(x).__name__}")
    if x.dim() != 3 or x.shape[1] != n_mels:
        raise ValueError(f"{name} expects input of shape (batch, {n_mels}, n_frames), got {tuple(x.shape)}")
    return x


class SmallCNN(nn.Module):
    """Shared plumbing: a stack of (conv, ReLU, optional max-pool) blocks on a 1-channel input."""

    n_mels: int
    n_frames: int

    def conv_layers(self) -> list[nn.Conv2d]:
        return [m for m in self.features_ if isinstance(m, nn.Conv2d)]

    def _blocks(self):
        """Yield (conv, pool or None) pairs in order."""
        mods = list(self.features_)
        i = 0
        while i < len(mods):
            conv = mods[i]
            pool = mods[i + 1] if i + 1 < len(mods) and isinstance(mods[i + 1], nn.MaxPool2d) else None
            yield conv, pool
            i += 2 if pool is not None else 1

    def _post_activation(self, index: int, a: torch.Tensor) -> torch.Tensor:
        return a        # MaskedCNN masks here

    def conv_activations(self, x: torch.Tensor, upto: int | None = None):
        """Activations after each conv's ReLU (before pooling), up to conv ``upto`` (1-based).

        Returns ``(acts, sizes)``: list of ``(B, C_i, H_i, W_i)`` tensors and their ``(H_i, W_i)``.
        """
        x = _check_input(x, self.n_mels, type(self).__name__).unsqueeze(1)
        acts, sizes = [], []
        for i, (conv, pool) in enumerate(self._blocks()):
            a = self._post_activation(i, F.relu(conv(x)))
            acts.append(a)
            sizes.append(tuple(a.shape[2:]))
            if upto is not None and i + 1 >= upto:
                break
            x = pool(a) if pool is not None else a
        return acts, sizes

    def conv1_activations(self, x: torch.Tensor) -> torch.Tensor:
        """conv1's ReLU maps ``(B, n_filters, n_mels, n_frames)`` (same size as the input)."""
        return self.conv_activations(x, upto=1)[0][0]

    def _trunk(self, x: torch.Tensor) -> torch.Tensor:
        acts, _ = self.conv_activations(x)
        blocks = list(self._blocks())
        last_pool = blocks[-1][1]
        return last_pool(acts[-1]) if last_pool is not None else acts[-1]


class VanillaCNN(SmallCNN):
    """2 conv + 2 dense (see the module docstring). ``(B, n_mels, n_frames)`` → ``(B, n_classes)``."""

    def __init__(self, n_classes: int = 8, n_mels: int = 96, n_frames: int = 187, filters=(8, 16),
                 kernels=(5, 3), pools=(4, 4), n_hidden: int = 64, dropout: float = 0.5):
        super().__init__()
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}")
        self.n_mels, self.n_frames, self.n_classes = int(n_mels), int(n_frames), int(n_classes)
        c1, c2 = filters
        self.features_ = nn.Sequential(
            nn.Conv2d(1, c1, kernels[0], padding=kernels[0] // 2), nn.MaxPool2d(pools[0]),
            nn.Conv2d(c1, c2, kernels[1], padding=kernels[1] // 2), nn.MaxPool2d(pools[1]))
        try:
            with torch.no_grad():
                n_flat = self._trunk(torch.zeros(1, self.n_mels, self.n_frames)).numel()
        except RuntimeError:
            n_flat = 0
        if n_flat == 0:
            raise ValueError(f"input {n_mels}×{n_frames} is too small for pools {pools}")
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(n_flat, n_hidden), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(n_hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self._trunk(x))


def elliptical_mask(height: int, width: int, centre_row, centre_col, radius_rows: float, radius_cols: float):
    """Masks ``(B, C, height, width)``: 1 inside the ellipse of the given radii around each
    ``(centre_row[b, c], centre_col[b, c])``, falling linearly to 0 at twice the radii.

    ``d = √(((r − r₀)/a)² + ((c − c₀)/b)²)``; ``mask = clip(2 − d, 0, 1)``.
    """
    r = torch.arange(height, dtype=torch.float32, device=centre_row.device).view(1, 1, height, 1)
    c = torch.arange(width, dtype=torch.float32, device=centre_row.device).view(1, 1, 1, width)
    d = torch.sqrt(((r - centre_row[..., None, None].float()) / radius_rows) ** 2
                   + ((c - centre_col[..., None, None].float()) / radius_cols) ** 2)
    return (2.0 - d).clamp(0.0, 1.0)


class MaskedCNN(VanillaCNN):
    """:class:`VanillaCNN` with an elliptical mask on conv2's maps, centred on each map's maximum.

    ``mask_radius`` is the ellipse's radii as fractions of conv2's map height and width.
    """

    def __init__(self, *args, mask_radius=(0.2, 0.15), **kwargs):
        self.mask_radius = tuple(float(v) for v in mask_radius)
        super().__init__(*args, **kwargs)

    def _post_activation(self, index: int, a: torch.Tensor) -> torch.Tensor:
        if index != 1:
            return a
        B, C, H, W = a.shape
        flat = a.detach().flatten(2).argmax(dim=2)           # (B, C): position of each map's max
        mask = elliptical_mask(H, W, flat // W, flat % W, max(1.0, self.mask_radius[0] * H),
                               max(1.0, self.mask_radius[1] * W))
        return a * mask


class GapCNN(SmallCNN):
    """3 conv layers → global average pooling → one dense layer (see the module docstring)."""

    def __init__(self, n_classes: int = 8, n_mels: int = 96, n_frames: int = 187, filters=(8, 16, 32),
                 kernels=(5, 3, 3), pools=(4, 2)):
        super().__init__()
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}")
        self.n_mels, self.n_frames, self.n_classes = int(n_mels), int(n_frames), int(n_classes)
        c1, c2, c3 = filters
        self.features_ = nn.Sequential(
            nn.Conv2d(1, c1, kernels[0], padding=kernels[0] // 2), nn.MaxPool2d(pools[0]),
            nn.Conv2d(c1, c2, kernels[1], padding=kernels[1] // 2), nn.MaxPool2d(pools[1]),
            nn.Conv2d(c2, c3, kernels[2], padding=kernels[2] // 2))
        self.classifier = nn.Linear(c3, n_classes)

    def cam_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last conv layer's ReLU maps ``(B, K, H, W)``, the maps the CAM weighs."""
        return self._trunk(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.cam_features(x).mean(dim=(2, 3)))


register("vanilla-cnn", source="seed 001 (Ren, Moon, Guo): vanilla CNN, 2 conv + 2 dense")(VanillaCNN)
register("masked-cnn", source="seed 001: vanilla CNN with an elliptical mask on conv2 (after Zhang et al. 2018)")(MaskedCNN)
register("gap-cnn", source="seed 001: global-average-pooling CNN for class activation maps (Zhou et al. 2016)")(GapCNN)
