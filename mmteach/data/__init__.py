"""Data for the course: music rendered offline from a General MIDI sound font, and real data sets
loaded from a folder you already have, all behind one interface (:class:`TrackSet`).

    >>> from mmteach.data import dance_set, tag_set, make_patches, norm_stats
    >>> ds = dance_set()                    # 8 Ballroom-like classes ("quick" size in quick mode)
    >>> ds.classes, len(ds), ds.sr
    >>> y, label = ds[0]                    # float32 audio at ds.sr, class index
    >>> parts = ds.splits(seed=0)           # train/val/test track indices, stratified
    >>> tags = tag_set()                    # MagnaTagATune-style multi-label clips

Real data (nothing is downloaded; point at your own copy):

    >>> from mmteach.data import ballroom, gtzan, magnatagatune
    >>> ds = ballroom("~/data/BallroomData")

See ``mmteach/data/README.md`` for how each set is made and what it can and cannot teach.
"""
from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

import numpy as np

from ..core import cache_dir, quick_mode
from . import compose, dance, render, tags
from .real import DatasetLayoutError, ballroom, gtzan, magnatagatune, mtt_split
from .render import RENDER_SR
from .trackset import PIPELINES, Patches, TrackSet, make_patches, norm_stats

__all__ = ["dance_set", "tag_set", "ballroom", "gtzan", "magnatagatune", "mtt_split", "DatasetLayoutError", "TrackSet", "Patches",
           "make_patches", "norm_stats", "PIPELINES", "RENDER_SR", "render", "dance", "tags", "compose"]


def _size(size) -> str:
    if size is None:
        return "quick" if quick_mode() else "normal"
    if size not in ("quick", "normal"):
        raise ValueError(f"size must be 'quick', 'normal' or None (quick in quick mode), got {size!r}")
    return size


def _seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def _code_version(*modules) -> str:
    """Hash of the code that writes and renders a set, plus the renderer: a cache never goes stale."""
    h = hashlib.sha1(render.renderer_version().encode())
    for m in modules:
        h.update(Path(m.__file__).read_bytes())
    return h.hexdigest()[:10]


def _drop_stale(prefix: str, current: str) -> None:
    """After a (re)build, remove the older renderings of the same set and their features."""
    import shutil

    for base in (cache_dir("data"), cache_dir("features")):
        for old in base.glob(f"{prefix}-*"):
            if old.name != current and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)


def dance_set(size: str | None = None, seed: int = 0) -> TrackSet:
    """The 8-class dance set mirroring Ballroom, rendered once and cached.

    Args:
        size: ``"quick"`` (8 classes x 5 tracks, for CI) or ``"normal"`` (8 x 40); None picks
            quick in quick mode (``MMTEACH_QUICK=1``) and normal otherwise. The quick set is exactly
            the first 40 tracks of the normal set with the same seed.
        seed: the set's seed; the same seed gives the same audio.

    Returns:
        A single-label :class:`TrackSet` at 44100 Hz (the Pons pipeline's rate, so its top mel
        bands hold the cymbals and shakers) with ``DURATION_S`` (10 s) tracks, tempo
        annotations in bpm (``ds.tempo``), and per-track metadata (meter, key, swing, instruments,
        drum kit, beat times). Tracks are interleaved by class (track i has class i % 8).
    """
    size, seed = _size(size), _seed(seed)
    n = len(dance.CLASSES) * dance.SIZES[size]
    folder = cache_dir("data") / f"dance-{size}-seed{seed}-{_code_version(dance, compose, render)}"

    def parts_of(i):
        label, k = i % len(dance.CLASSES), i // len(dance.CLASSES)
        return dance.compose(label, [seed, label, k, 1], dance.DURATION_S)

    if not (folder / "meta.json").exists():
        from .trackset import build_rendered

        build_rendered(folder, n, partial(dance.make_track, seed), desc=f"rendering dance set ({size})", sr=dance.SR)
        _drop_stale(f"dance-{size}-seed{seed}", folder.name)
    from .trackset import open_rendered

    load, infos = open_rendered(folder)
    labels = np.array([info["label"] for info in infos], dtype=np.int64)
    ids = [f"dance-{dance.CLASSES[i % 8]}-{i // 8:03d}" for i in range(n)]
    return TrackSet(
        f"dance-{size}", dance.SR, dance.CLASSES, labels, ids, infos, load,
        tempo=np.array([info["tempo"] for info in infos]), key=folder.name,
        description="Ballroom-like dance excerpts rendered from General MIDI (see mmteach/data/README.md)",
        midi=lambda i: render.to_midi(parts_of(i)[0], tempo=infos[i]["tempo"]))


def tag_set(size: str | None = None, seed: int = 0) -> TrackSet:
    """The multi-label tag set mirroring MagnaTagATune, rendered once and cached.

    Args:
        size: ``"quick"`` (96 clips) or ``"normal"`` (800 clips); None picks by quick mode. The quick
            set is the first 96 clips of the normal set with the same seed.
        seed: the set's seed.

    Returns:
        A multi-label :class:`TrackSet` at 22050 Hz (above the MusiCNN pipeline's 16 kHz) of 4-s
        clips; ``ds.classes`` are the tags (:data:`tags.TAGS`), ``ds.labels`` the 0/1 matrix,
        ``ds.tempo`` the bpm of each clip.
    """
    size, seed = _size(size), _seed(seed)
    n = tags.SIZES[size]
    folder = cache_dir("data") / f"tags-{size}-seed{seed}-{_code_version(tags, compose, render)}"

    if not (folder / "meta.json").exists():
        from .trackset import build_rendered

        build_rendered(folder, n, partial(tags.make_track, seed), desc=f"rendering tag set ({size})", sr=tags.SR)
        _drop_stale(f"tags-{size}-seed{seed}", folder.name)
    from .trackset import open_rendered

    load, infos = open_rendered(folder)
    labels = np.array([[1.0 if t in info["tags"] else 0.0 for t in tags.TAGS] for info in infos], dtype=np.float32)
    return TrackSet(
        f"tags-{size}", tags.SR, tags.TAGS, labels, [f"tags-{i:04d}" for i in range(n)], infos, load,
        multilabel=True, tempo=np.array([info["tempo"] for info in infos]), key=folder.name,
        description="MagnaTagATune-style clips rendered from General MIDI (see mmteach/data/README.md)",
        midi=lambda i: render.to_midi(tags.compose(i, seed, tags.DURATION_S)[0], tempo=infos[i]["tempo"]))
