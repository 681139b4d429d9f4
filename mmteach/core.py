"""Run-time switches every lesson shares: quick mode, device choice, seeding, progress bars, caches.

Lessons read the quick-mode switch once, at the top::

    from mmteach import quick_mode, pick
    QUICK = quick_mode()
    n_epochs = pick(normal=30, quick=2)
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np

QUICK_ENV = "MMTEACH_QUICK"
DEVICE_ENV = "MMTEACH_DEVICE"
CACHE_ENV = "MMTEACH_CACHE"
PROGRESS_ENV = "MMTEACH_PROGRESS"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _env_flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"environment variable {name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def quick_mode() -> bool:
    """True when ``MMTEACH_QUICK`` is set (CI, grading): small data, few epochs.

    Normal mode is what a learner runs; it still finishes each lesson in minutes on a laptop CPU.
    """
    return _env_flag(QUICK_ENV)


def pick(normal, quick):
    """Return ``quick`` in quick mode and ``normal`` otherwise (read at call time)."""
    return quick if quick_mode() else normal


def device(prefer: str | None = None):
    """The torch device training loops should use: CUDA, then Apple MPS, then CPU.

    ``prefer`` (or the ``MMTEACH_DEVICE`` environment variable) forces one, e.g. ``"cpu"`` to
    compare speeds. Asking for a device that is not there raises a clear error.
    """
    import torch

    choice = prefer or os.environ.get(DEVICE_ENV) or "auto"
    choice = choice.strip().lower()
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {choice!r} was asked for, but torch sees no CUDA GPU on this machine; use 'cpu' or 'auto'")
    if choice == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise RuntimeError("device 'mps' was asked for, but Apple MPS is not available here; use 'cpu' or 'auto'")
    try:
        return torch.device(choice)
    except RuntimeError as err:
        raise ValueError(f"unknown device {choice!r}: expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'") from err


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and torch (CPU and every GPU) so a run can be repeated."""
    import torch

    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))
    torch.manual_seed(int(seed))
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(int(seed))


def progress(iterable=None, **kwargs):
    """A ``tqdm.auto`` progress bar (a widget in JupyterLab, text elsewhere).

    ``MMTEACH_PROGRESS=0`` turns bars off, e.g. for logs.
    """
    from tqdm.auto import tqdm

    kwargs.setdefault("disable", not _env_flag(PROGRESS_ENV, default=True))
    kwargs.setdefault("leave", False)
    return tqdm(iterable, **kwargs)


def cache_dir(*parts: str) -> Path:
    """Folder for rendered data sets and converted weights (``MMTEACH_CACHE`` overrides it).

    Defaults to ``~/.cache/mmteach``; created on first use.
    """
    root = os.environ.get(CACHE_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "mmteach"
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
