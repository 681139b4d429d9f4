"""Model registry: every published architecture in the course, created by name.

    >>> from mmteach import models
    >>> models.names()                       # doctest: +SKIP
    ['black-box', 'time', 'frequency', 'time-frequency', 'o-net', ...]
    >>> net = models.create("time-frequency", n_classes=8)   # doctest: +SKIP
    >>> models.count_parameters(net)         # doctest: +SKIP
    196816

Each architecture lives in its own module (``pons``, ``crnn``, ``musicnn``, ``small_cnns``) and
registers itself with :func:`register`. Every model takes input of shape
``(batch, n_mels, n_frames)`` (frequency × time, as the spectrogram plots show it).
"""
from __future__ import annotations

import importlib
from typing import Callable

_REGISTRY: dict[str, Callable] = {}
_SOURCES: dict[str, str] = {}
# Modules that register models; each is imported on first use of the registry.
_MODULES = ("pons", "crnn", "musicnn", "small_cnns")
_loaded = False


def register(name: str, source: str = ""):
    """Class or factory decorator: ``@register("time", source="Pons et al. 2016")``."""
    key = name.lower()

    def deco(factory):
        if key in _REGISTRY and _REGISTRY[key] is not factory:
            raise ValueError(f"model name {name!r} is registered twice")
        _REGISTRY[key] = factory
        _SOURCES[key] = source
        return factory

    return deco


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for mod in _MODULES:
        try:
            importlib.import_module(f"{__name__}.{mod}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{mod}":
                raise
    _loaded = True


def names() -> list[str]:
    """Registered model names, in registration order."""
    _load_all()
    return list(_REGISTRY)


def create(name: str, **kwargs):
    """Build a registered model, e.g. ``create("time-frequency", n_classes=8)``."""
    _load_all()
    key = name.lower()
    if key not in _REGISTRY:
        raise KeyError(f"unknown model {name!r}; registered models: {', '.join(_REGISTRY) or '(none)'}")
    return _REGISTRY[key](**kwargs)


def source(name: str) -> str:
    """Where the architecture comes from (paper, seed document)."""
    _load_all()
    return _SOURCES[name.lower()]


def count_parameters(model, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters — batch-norm running statistics are buffers, not counted."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
