"""One interface for every data set in the course: :class:`TrackSet`, splits, features and patches.

A ``TrackSet`` is a list of tracks with labels. Audio is loaded lazily, one track at a time
(``ds.audio(i)``), at the set's sample rate ``ds.sr``; spectrograms come from ``ds.features(...)``,
computed once with :mod:`mmteach.audio` and cached on disk; :func:`make_patches` cuts them into the
fixed-size patches the models take.

    >>> ds = dance_set("quick")
    >>> parts = ds.splits(seed=0)                      # dict(train=, val=, test=) of track indices
    >>> stats = norm_stats(ds, "pons", parts["train"])  # one mean, one std, training tracks only
    >>> train = make_patches(ds, "pons", 80, parts["train"], stats=stats)
    >>> train.x.shape                                   # (n_patches, 40, 80)
"""
from __future__ import annotations

import hashlib
import inspect
import os
import shutil
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..core import cache_dir, progress

PIPELINES = {"pons": "pons_input", "musicnn": "musicnn_input"}
"""Pipeline names accepted by :meth:`TrackSet.features`, and the :mod:`mmteach.audio` function each calls."""

_CHUNK = 128  # tracks per feature-cache file (a long extraction survives an interruption)


def _hash(*parts) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(repr(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:12]


def _resolve_pipeline(pipeline) -> tuple[str, Callable]:
    """(cache name, function(y, sr) -> (n_mels, n_frames)) for a pipeline name or callable."""
    if callable(pipeline):
        fn = pipeline
        try:
            src = inspect.getsource(fn)
        except (OSError, TypeError):
            src = repr(fn)
        name = f"{getattr(fn, '__module__', 'fn')}.{getattr(fn, '__qualname__', 'fn')}".replace("<", "").replace(">", "")
        return f"{name}-{_hash(src)}", fn
    if pipeline not in PIPELINES:
        raise ValueError(f"pipeline must be one of {sorted(PIPELINES)} or a function (y, sr) -> "
                         f"(n_mels, n_frames) array; got {pipeline!r}")
    from .. import audio  # lazily: the audio module is only needed for features

    fn = getattr(audio, PIPELINES[pipeline])
    try:
        src = Path(inspect.getsourcefile(audio)).read_bytes()
    except (OSError, TypeError):  # pragma: no cover
        src = b""
    return f"{pipeline}-{hashlib.sha1(src).hexdigest()[:12]}", fn


class TrackSet:
    """A labelled set of audio tracks (see the module docstring).

    Attributes:
        name: short name, e.g. ``"dance-quick"`` or ``"ballroom"``.
        sr: sample rate of ``audio(i)`` in Hz.
        classes: class names (single-label) or tag names (multi-label).
        multilabel: whether ``labels`` is a 0/1 matrix.
        labels: int ``(n,)`` class indices, or float32 ``(n, n_tags)`` 0/1 matrix.
        tempo: float ``(n,)`` tempo in bpm per track, or None when unknown (NaN for a missing one).
        track_ids: unique id per track (file stem for real sets).
        meta: one dict per track (how it was made, or where its file is).
    """

    def __init__(self, name: str, sr: int, classes: Sequence[str], labels, track_ids: Sequence[str],
                 meta: Sequence[dict], loader: Callable[[int], np.ndarray], *, multilabel: bool = False,
                 tempo=None, key: str | None = None, description: str = "",
                 midi: Callable[[int], object] | None = None):
        labels = np.asarray(labels)
        n = len(track_ids)
        if multilabel:
            labels = labels.astype(np.float32)
            if labels.ndim != 2 or labels.shape != (n, len(classes)):
                raise ValueError(f"multi-label labels must be (n_tracks, n_tags) = ({n}, {len(classes)}), got {labels.shape}")
        else:
            if labels.shape != (n,):
                raise ValueError(f"single-label labels must be ({n},), got {labels.shape}")
            labels = labels.astype(np.int64)
            if n and (labels.min() < 0 or labels.max() >= len(classes)):
                raise ValueError(f"labels must index classes 0..{len(classes) - 1}")
        if len(meta) != n:
            raise ValueError(f"meta must have one dict per track ({n}), got {len(meta)}")
        if len(set(track_ids)) != n:
            raise ValueError("track_ids must be unique")
        self.name = name
        self.sr = int(sr)
        self.classes = list(classes)
        self.multilabel = bool(multilabel)
        self.labels = labels
        self.tempo = None if tempo is None else np.asarray(tempo, dtype=np.float64)
        self.track_ids = list(track_ids)
        self.meta = list(meta)
        self.description = description
        self._loader = loader
        self._midi = midi
        self._key = key or f"{name}-{_hash(name, self.track_ids)}"
        self._features: dict[str, list[np.ndarray]] = {}

    # -- basics -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.track_ids)

    def __repr__(self) -> str:
        kind = "multi-label" if self.multilabel else "single-label"
        return (f"TrackSet({self.name!r}: {len(self)} tracks, {len(self.classes)} "
                f"{'tags' if self.multilabel else 'classes'}, {kind}, {self.sr} Hz)")

    def _check_index(self, i) -> int:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"track index must be an int, got {type(i).__name__}")
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"track index {i} out of range for {n} tracks")
        return int(i) % n

    def audio(self, i: int) -> np.ndarray:
        """Mono float32 audio ``(n_samples,)`` of track ``i`` at ``self.sr`` Hz."""
        y = self._loader(self._check_index(i))
        return np.ascontiguousarray(y, dtype=np.float32)

    def midi(self, i: int):
        """The score of a rendered track as a ``pretty_midi.PrettyMIDI`` object (rendered sets only)."""
        i = self._check_index(i)
        if self._midi is None:
            raise ValueError(f"{self.name} is made from audio files; only the rendered sets (dance_set, tag_set) have scores")
        return self._midi(i)

    def __getitem__(self, i):
        i = self._check_index(i)
        return self.audio(i), self.labels[i]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def label_names(self, i: int) -> list[str] | str:
        """The class name of track ``i``, or its list of tags for a multi-label set."""
        i = self._check_index(i)
        if self.multilabel:
            return [t for t, on in zip(self.classes, self.labels[i]) if on]
        return self.classes[self.labels[i]]

    def counts(self) -> dict[str, int]:
        """Tracks per class (or positives per tag)."""
        if self.multilabel:
            return {t: int(c) for t, c in zip(self.classes, self.labels.sum(axis=0))}
        return {c: int((self.labels == k).sum()) for k, c in enumerate(self.classes)}

    def subset(self, indices) -> "TrackSet":
        """A TrackSet of the given tracks (sharing this set's audio and feature caches)."""
        idx = _as_indices(indices, len(self))
        sub = TrackSet(self.name, self.sr, self.classes, self.labels[idx], [self.track_ids[i] for i in idx],
                       [self.meta[i] for i in idx], lambda j, _p=self, _idx=idx: _p.audio(int(_idx[j])),
                       multilabel=self.multilabel, tempo=None if self.tempo is None else self.tempo[idx],
                       key=self._key, description=self.description,
                       midi=None if self._midi is None else (lambda j, _p=self, _idx=idx: _p.midi(int(_idx[j]))))
        sub._parent = (self, idx)
        return sub

    # -- splits ---------------------------------------------------------------------------------
    def _spread_order(self, seed: int) -> np.ndarray:
        """Tracks in an order where every class is spread evenly (stratification for single-label)."""
        rng = np.random.default_rng(seed)
        keys = np.empty(len(self))
        for c in range(len(self.classes)):
            members = np.flatnonzero(self.labels == c)
            if len(members) == 0:
                continue
            perm = rng.permutation(members)
            keys[perm] = (np.arange(len(perm)) + rng.random()) / len(perm)
        return np.argsort(keys + 1e-9 * rng.random(len(self)), kind="stable")

    def splits(self, seed: int = 0, fractions=(0.8, 0.1, 0.1)) -> dict[str, np.ndarray]:
        """Split the tracks into ``train``, ``val`` and ``test`` index arrays (sorted, disjoint, covering).

        Single-label sets are stratified (each class in proportion in every part); multi-label sets use
        iterative stratification (Sechidis et al., 2011) so that rare tags reach every part when they
        can. Splitting is by track, so patches of one track never sit on both sides.
        """
        fr = np.asarray(fractions, dtype=np.float64)
        if fr.shape != (3,) or np.any(fr < 0) or not np.isclose(fr.sum(), 1.0):
            raise ValueError(f"fractions must be three non-negative numbers (train, val, test) summing to 1, got {fractions}")
        n = len(self)
        if n == 0:
            raise ValueError("cannot split an empty TrackSet")
        if self.multilabel:
            group = _iterative_stratification(self.labels, fr, np.random.default_rng(seed))
            out = {name: np.flatnonzero(group == g) for g, name in enumerate(("train", "val", "test"))}
        else:
            n_test = int(round(fr[2] * n))
            n_val = int(round(fr[1] * n))
            order = self._spread_order(seed)
            out = {"test": np.sort(order[:n_test]), "val": np.sort(order[n_test:n_test + n_val]),
                   "train": np.sort(order[n_test + n_val:])}
        return {k: out[k].astype(np.int64) for k in ("train", "val", "test")}

    def folds(self, k: int = 10, seed: int = 0) -> list[dict[str, np.ndarray]]:
        """k-fold cross-validation by track: fold ``f`` tests on the f-th k-th of the tracks, validates
        on the next k-th and trains on the rest (≈ 80/10/10 for k = 10). Every track is tested once.
        Stratified as :meth:`splits`."""
        if not isinstance(k, (int, np.integer)) or k < 3:
            raise ValueError(f"k must be an int >= 3 (test, validation and training folds), got {k!r}")
        if k > len(self):
            raise ValueError(f"k = {k} folds need at least {k} tracks, the set has {len(self)}")
        if self.multilabel:
            group = _iterative_stratification(self.labels, np.full(k, 1.0 / k), np.random.default_rng(seed))
        else:
            group = np.empty(len(self), dtype=np.int64)
            group[self._spread_order(seed)] = np.arange(len(self)) % k
        out = []
        for f in range(k):
            test = np.flatnonzero(group == f)
            val = np.flatnonzero(group == (f + 1) % k)
            train = np.flatnonzero((group != f) & (group != (f + 1) % k))
            out.append({"train": train, "val": val, "test": test})
        return out

    # -- features --------------------------------------------------------------------------------
    def features(self, pipeline="pons", show_progress: bool = True) -> list[np.ndarray]:
        """One spectrogram ``(n_mels, n_frames)`` float32 per track, from :mod:`mmteach.audio`.

        ``pipeline`` is ``"pons"`` (40 log-mel bands at 44.1 kHz, not normalised) or ``"musicnn"``
        (96 log-mel bands at 16 kHz), or any function ``(y, sr) -> (n_mels, n_frames)``. Computed once
        per set and pipeline, cached on disk under ``mmteach.cache_dir("features")`` (the cache is
        rebuilt when the audio module's code changes) and in memory.
        """
        parent = getattr(self, "_parent", None)
        if parent is not None:
            full = parent[0].features(pipeline, show_progress)
            return [full[i] for i in parent[1]]
        cname, fn = _resolve_pipeline(pipeline)
        if cname in self._features:
            return self._features[cname]
        folder = cache_dir("features", self._key, cname)
        n = len(self)
        feats: list[np.ndarray] = []
        kwargs = {} if show_progress else {"disable": True}
        bar = progress(total=n, desc=f"{pipeline if isinstance(pipeline, str) else 'features'} features: {self.name}", **kwargs)
        todo = []  # (start, stop, path) of chunks not cached yet
        cached: dict[int, list[np.ndarray]] = {}
        for start in range(0, n, _CHUNK):
            stop = min(start + _CHUNK, n)
            path = folder / f"tracks{start:06d}-{stop:06d}.npz"
            if path.exists():
                try:
                    with np.load(path) as z:
                        x, lens = z["x"], z["n"]
                    cached[start] = np.split(x, np.cumsum(lens)[:-1], axis=1)
                    bar.update(stop - start)
                    continue
                except Exception:  # a damaged cache file: compute it again
                    path.unlink(missing_ok=True)
            todo.append((start, stop, path))
        try:
            job = (self._loader, pipeline if isinstance(pipeline, str) else fn, self.sr)
            for (start, stop, path), part in zip(todo, _compute_chunks(job, todo, bar)):
                for i, spec in zip(range(start, stop), part):
                    if spec.ndim != 2:
                        raise ValueError(f"pipeline {pipeline!r} returned shape {spec.shape} for track {i}; expected (n_mels, n_frames)")
                if len({p.shape[0] for p in part}) > 1:
                    raise ValueError("the pipeline returned different numbers of mel bands for different tracks")
                _atomic_save_npz(path, x=np.concatenate(part, axis=1), n=np.array([p.shape[1] for p in part]))
                cached[start] = part
        finally:
            bar.close()
        for start in sorted(cached):
            feats += cached[start]
        self._features[cname] = feats
        return feats


def _single_thread():
    """Limit BLAS/OpenMP to one thread: spectrograms are small, and on a shared or busy CPU extra
    threads only wait for each other (measured 10x slower on a loaded 2-core machine)."""
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()


def _features_of(job, indices, limit_threads: bool = True) -> list[np.ndarray]:
    """Spectrograms of some tracks (runs in this process or in a worker process)."""
    import contextlib

    loader, pipeline, sr = job
    fn = _resolve_pipeline(pipeline)[1] if isinstance(pipeline, str) else pipeline
    with _single_thread() if limit_threads else contextlib.nullcontext():
        return [np.asarray(fn(np.ascontiguousarray(loader(i), dtype=np.float32), sr), dtype=np.float32) for i in indices]


def _compute_chunks(job, todo, bar):
    """Yield the spectrograms of each cache chunk in ``todo``, in order. Several processes share the
    work when the set is large and the loader and pipeline can be sent to them; otherwise one."""
    n = sum(stop - start for start, stop, _ in todo)
    workers = _workers(n)
    if workers > 1:
        import pickle

        try:
            pickle.dumps(job)
        except Exception:  # a lambda loader or pipeline: stay in this process
            workers = 1
    done = 0
    if workers > 1:
        from functools import partial

        # the first track here: imports and JIT compilation happen once, and forked workers inherit them
        first = _features_of(job, [todo[0][0]])
        bar.update(1)
        try:
            with _pool(workers) as pool:
                for k, (start, stop, _) in enumerate(todo):
                    a0 = start + 1 if k == 0 else start
                    pieces = [list(range(a, min(a + 8, stop))) for a in range(a0, stop, 8)]
                    part = list(first) if k == 0 else []
                    for got in pool.map(partial(_features_of, job), pieces):
                        part += got
                        bar.update(len(got))
                    done += 1
                    yield part
            return
        except (OSError, RuntimeError, ImportError) as err:  # e.g. no process start in a sandbox
            if done:
                raise
            warnings.warn(f"computing features in parallel failed ({err}); computing them in this process", stacklevel=3)
            bar.update(-1)
    with _single_thread():
        for start, stop, _ in todo:
            part = []
            for i in range(start, stop):
                part += _features_of(job, [i], limit_threads=False)
                bar.update(1)
            yield part


def _as_indices(indices, n: int) -> np.ndarray:
    if indices is None:
        return np.arange(n)
    idx = np.asarray(indices)
    if idx.dtype == bool:
        if idx.shape != (n,):
            raise ValueError(f"a boolean mask must have one entry per track ({n}), got {idx.shape}")
        return np.flatnonzero(idx)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer) and idx.size:
        raise TypeError(f"indices must be a 1-D array of ints (or a boolean mask), got {idx.dtype} {idx.shape}")
    idx = idx.astype(np.int64)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"track indices must lie in 0..{n - 1}")
    return idx % n if idx.size else idx


def _iterative_stratification(Y: np.ndarray, fractions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Group index per row of a 0/1 matrix, so that each group gets its fraction of every label."""
    Y = np.asarray(Y) > 0.5
    n, n_labels = Y.shape
    want_rows = fractions * n
    totals = np.maximum(Y.sum(axis=0), 1)
    want_lab = fractions[:, None] * Y.sum(axis=0)[None, :]
    group = np.full(n, -1, dtype=np.int64)
    left = np.ones(n, dtype=bool)
    while left.any():
        counts = Y[left].sum(axis=0)
        if not counts.any():
            rows = rng.permutation(np.flatnonzero(left))
            for r in rows:
                g = int(np.argmax(want_rows + 1e-6 * rng.random(len(fractions))))
                group[r] = g
                want_rows[g] -= 1
            break
        masked = np.where(counts > 0, counts + 0.1 * rng.random(n_labels), np.inf)
        lab = int(np.argmin(masked))
        rows = rng.permutation(np.flatnonzero(left & Y[:, lab]))
        for r in rows:
            # the part that most needs this label, then (in proportion) the row's other labels
            score = (want_lab[:, lab] + 0.5 * (want_lab[:, Y[r]] / totals[Y[r]]).sum(axis=1)
                     + 1e-3 * want_rows + 1e-6 * rng.random(len(fractions)))
            g = int(np.argmax(score))
            group[r] = g
            want_lab[g] -= Y[r]
            want_rows[g] -= 1
            left[r] = False
    return group


def _atomic_save_npz(path: Path, **arrays) -> None:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


# -- patches --------------------------------------------------------------------------------------
@dataclass
class Patches:
    """Fixed-size patches cut from a TrackSet's spectrograms, ready for a model.

    Attributes:
        x: float32 ``(n_patches, n_mels, n_frames)``.
        y: labels per patch: int ``(n_patches,)`` or float32 ``(n_patches, n_tags)``.
        track: int ``(n_patches,)``, the index in the TrackSet of each patch's track (for track-level
            votes and averages).
        classes: class or tag names.
        multilabel: whether ``y`` is a 0/1 matrix.
    """

    x: np.ndarray
    y: np.ndarray
    track: np.ndarray
    classes: list
    multilabel: bool = False

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        return (f"Patches(x={tuple(self.x.shape)}, y={tuple(self.y.shape)}, "
                f"{len(np.unique(self.track))} tracks, {'multi-label' if self.multilabel else 'single-label'})")


def norm_stats(ds: TrackSet, pipeline="pons", indices=None) -> tuple[float, float]:
    """ONE mean and ONE standard deviation over every bin and frame of the chosen tracks' features.

    Pass the training tracks only, so nothing about validation or test data leaks into training.
    Returns ``(mean, std)`` as Python floats.
    """
    idx = _as_indices(indices, len(ds))
    if idx.size == 0:
        raise ValueError("norm_stats needs at least one track")
    feats = ds.features(pipeline)
    total, total_sq, count = 0.0, 0.0, 0
    for i in idx:
        f = feats[i].astype(np.float64)
        total += f.sum()
        total_sq += np.square(f).sum()
        count += f.size
    mean = total / count
    var = max(total_sq / count - mean**2, 0.0)
    std = float(np.sqrt(var))
    if not std > 0:
        raise ValueError("the features of these tracks are constant (std 0); cannot normalise")
    return float(mean), std


def make_patches(ds: TrackSet, pipeline, n_frames: int, indices=None, hop: int | None = None,
                 stats: tuple[float, float] | None = None) -> Patches:
    """Cut each chosen track's spectrogram into patches of ``n_frames`` frames.

    Args:
        ds: the TrackSet.
        pipeline: ``"pons"``, ``"musicnn"`` or a function, as for :meth:`TrackSet.features`.
        n_frames: frames per patch (e.g. 80 or 250 for Pons' models, 187 for MusiCNN).
        indices: tracks to use (e.g. ``splits()["train"]``); all tracks when None.
        hop: frames between patch starts; ``n_frames`` (non-overlapping, tail dropped) when None.
        stats: ``(mean, std)`` from :func:`norm_stats` on the training tracks; the patches are
            normalised as ``(x - mean) / std`` when given.

    Tracks shorter than one patch give no patch (a warning names how many).
    """
    if not isinstance(n_frames, (int, np.integer)) or isinstance(n_frames, bool) or n_frames < 1:
        raise ValueError(f"n_frames must be a positive int, got {n_frames!r}")
    if hop is not None and (not isinstance(hop, (int, np.integer)) or hop < 1):
        raise ValueError(f"hop must be a positive int or None, got {hop!r}")
    if stats is not None:
        if len(stats) != 2 or not float(stats[1]) > 0:
            raise ValueError(f"stats must be (mean, std) with std > 0, as norm_stats returns; got {stats!r}")
    idx = _as_indices(indices, len(ds))
    feats = ds.features(pipeline)
    xs, ys, tracks, short = [], [], [], []
    for i in idx:
        spec = feats[i]
        if spec.shape[1] < n_frames:
            short.append(ds.track_ids[i])
            continue
        step = int(n_frames if hop is None else hop)
        starts = range(0, spec.shape[1] - int(n_frames) + 1, step)  # the tail that does not fill a patch is dropped
        p = np.stack([spec[:, s:s + int(n_frames)] for s in starts]).astype(np.float32)
        xs.append(p)
        ys.append(np.repeat(ds.labels[i][None], len(p), axis=0))
        tracks.append(np.full(len(p), i, dtype=np.int64))
    if short:
        warnings.warn(f"{len(short)} track(s) are shorter than one patch of {n_frames} frames and give no patch "
                      f"(e.g. {short[:3]})", stacklevel=2)
    n_mels = feats[0].shape[0] if feats else 0
    if xs:
        x = np.concatenate(xs)
        y = np.concatenate(ys)
        track = np.concatenate(tracks)
    else:
        x = np.zeros((0, n_mels, n_frames), np.float32)
        y = np.zeros((0, len(ds.classes)), np.float32) if ds.multilabel else np.zeros(0, np.int64)
        track = np.zeros(0, np.int64)
    if stats is not None:
        x = (x - np.float32(stats[0])) / np.float32(stats[1])
    y = y.astype(np.float32) if ds.multilabel else y.astype(np.int64)
    return Patches(x=x.astype(np.float32, copy=False), y=y, track=track, classes=list(ds.classes), multilabel=ds.multilabel)


# -- rendered sets on disk --------------------------------------------------------------------------
def build_rendered(folder: Path, n: int, make_track: Callable[[int], tuple[np.ndarray, dict]], desc: str,
                   sr: int) -> None:
    """Render ``n`` tracks with ``make_track(i) -> (float32 audio in [-1, 1], info dict)`` into
    ``folder``: ``audio.flac`` (16-bit FLAC at ``sr`` Hz, all tracks end to end; lossless and about
    0.6 of the raw size), ``index.npz`` (sample offsets), ``meta.json`` (one info dict per track)
    and ``build.json`` (how long the build took, with how many processes).

    Written to a temporary folder and moved into place at the end, so an interrupted or concurrent
    build never leaves a half-written set behind.
    """
    import json

    import soundfile as sf

    import time

    t0 = time.perf_counter()
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir(parents=True)
    try:
        lens, infos = [], []
        with sf.SoundFile(str(tmp / "audio.flac"), "w", samplerate=int(sr), channels=1, format="FLAC",
                          subtype="PCM_16") as out:
            for i, (y, info) in enumerate(progress(_tracks(make_track, n), desc=desc, total=n)):
                y = np.asarray(y, dtype=np.float32)
                if y.ndim != 1 or not np.all(np.isfinite(y)):
                    raise RuntimeError(f"track {i} of {desc} rendered a bad signal (shape {y.shape}, or non-finite)")
                out.write(np.round(np.clip(y, -1.0, 1.0) * 32767).astype(np.int16))
                lens.append(len(y))
                infos.append(info)
        np.savez(tmp / "index.npz", offsets=np.concatenate([[0], np.cumsum(lens)]).astype(np.int64))
        (tmp / "build.json").write_text(json.dumps({
            "seconds": time.perf_counter() - t0, "tracks": n, "sr": int(sr), "workers": _workers(n),
            "audio_seconds": float(sum(lens)) / sr}))
        (tmp / "meta.json").write_text(json.dumps(infos))  # written last: its presence marks a complete set
        try:
            os.rename(tmp, folder)
        except OSError:
            if not (folder / "meta.json").exists():
                shutil.rmtree(folder, ignore_errors=True)
                os.rename(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _workers(n: int) -> int:
    """Processes to use: up to 4 cores, one when the set is small (start-up would dominate) or when
    no safe way to start worker processes exists (see :func:`_mp_context`)."""
    if n < 64 or _mp_context() is None:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def _mp_context():
    """How to start worker processes, or None to stay in this process.

    Linux: fork (as PyTorch's DataLoader does); the workers only run numpy, soundfile, librosa and
    tinysoundfont. Elsewhere fork is unsafe, and spawn re-runs the top level of a script that lacks
    an ``if __name__ == "__main__":`` guard, so spawn is used only where there is no script to re-run
    (Jupyter, IPython, ``python -c``).
    """
    import multiprocessing
    import sys

    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    if getattr(sys.modules.get("__main__"), "__file__", None) is None:
        return multiprocessing.get_context("spawn")
    return None


def _pool(workers: int):
    from concurrent.futures import ProcessPoolExecutor

    with warnings.catch_warnings():  # Python >= 3.12 warns about fork in a threaded process
        warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
        return ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context())


def _tracks(make_track, n: int):
    """``make_track(i)`` for i in 0..n-1, in order; in parallel processes when that helps.

    Rendering is deterministic per track, so the result does not depend on how it was spread over
    processes (started as :func:`_mp_context` says); if a pool cannot start, the tracks are rendered
    here, one after the other.
    """
    workers = _workers(n)
    if workers > 1:
        done = 0
        try:
            with _pool(workers) as pool:
                for result in pool.map(make_track, range(n), chunksize=4):
                    done += 1
                    yield result
            return
        except (OSError, RuntimeError, ImportError) as err:  # e.g. no process start in a sandbox
            if done:
                raise
            warnings.warn(f"rendering in parallel failed ({err}); rendering in this process instead", stacklevel=2)
    for i in range(n):
        yield make_track(i)


def open_rendered(folder: Path) -> tuple[Callable[[int], np.ndarray], list[dict]]:
    """Loader and metadata of a set written by :func:`build_rendered`."""
    import json

    with np.load(folder / "index.npz") as z:
        offsets = z["offsets"]
    infos = json.loads((folder / "meta.json").read_text())
    return FlacLoader(str(folder / "audio.flac"), offsets), infos


class FlacLoader:
    """Track ``i`` of a rendered set: samples ``offsets[i]:offsets[i+1]`` of one FLAC file (picklable,
    so worker processes can load tracks too)."""

    def __init__(self, path: str, offsets: np.ndarray):
        self.path, self.offsets = path, np.asarray(offsets, dtype=np.int64)

    def __call__(self, i: int) -> np.ndarray:
        import soundfile as sf

        with sf.SoundFile(self.path) as fh:
            fh.seek(int(self.offsets[i]))
            y = fh.read(int(self.offsets[i + 1] - self.offsets[i]), dtype="int16")
        return y.astype(np.float32) / np.float32(32767)
