"""TrackSet features, dataset-wide normalisation statistics and patches."""
from __future__ import annotations

import importlib
import sys
import types

import numpy as np
import pytest

pytestmark = pytest.mark.xdist_group("data")


def _stand_in_audio():
    """A small log-mel stand-in, used only while mmteach.audio is not on this branch."""
    import librosa

    def _logmel(y, sr, n_mels, hop):
        S = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=1024, hop_length=hop, n_mels=n_mels)
        return np.log10(1 + 10000 * S).astype(np.float32)

    mod = types.ModuleType("mmteach.audio")
    mod.pons_input = lambda y, sr: _logmel(y, sr, 40, 512)
    mod.musicnn_input = lambda y, sr: _logmel(y, sr, 96, 256)
    return mod


@pytest.fixture
def data(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.getbasetemp() / "mmteach-cache-data"  # shared with test_data_sets.py
    monkeypatch.setenv("MMTEACH_CACHE", str(cache))
    monkeypatch.setenv("MMTEACH_PROGRESS", "0")
    try:
        importlib.import_module("mmteach.audio")
    except ImportError:
        import mmteach

        fake = _stand_in_audio()
        monkeypatch.setitem(sys.modules, "mmteach.audio", fake)
        monkeypatch.setattr(mmteach, "audio", fake, raising=False)
    import mmteach.data as data

    return data


def test_features_shapes_cache_and_reuse(data, monkeypatch):
    ds = data.dance_set("quick")
    feats = ds.features("pons")
    assert len(feats) == len(ds)
    assert all(f.dtype == np.float32 and f.ndim == 2 and f.shape[0] == 40 for f in feats)
    assert len({f.shape for f in feats}) == 1  # equal-length tracks give equal-length spectrograms
    # a fresh TrackSet object reads the disk cache instead of computing again
    import mmteach.audio as audio

    calls = []
    original = audio.pons_input
    monkeypatch.setattr(audio, "pons_input", lambda y, sr: calls.append(1) or original(y, sr))
    again = data.dance_set("quick").features("pons")
    assert not calls
    for a, b in zip(feats, again):
        np.testing.assert_array_equal(a, b)
    # the musicnn pipeline has 96 bands
    assert ds.features("musicnn")[0].shape[0] == 96


def test_features_accept_a_function(data):
    ds = data.dance_set("quick").subset(range(6))

    def energy(y, sr):
        frames = y[: len(y) // 512 * 512].reshape(-1, 512)
        return np.log1p((frames**2).sum(axis=1))[None, :].astype(np.float32)

    f = ds.features(energy)
    assert len(f) == 6 and f[0].shape == (1, int(10.0 * ds.sr) // 512)
    with pytest.raises(ValueError, match="pipeline"):
        ds.features("mfcc")


def test_norm_stats_is_one_mean_and_one_std(data):
    ds = data.dance_set("quick")
    train = ds.splits()["train"]
    mean, std = data.norm_stats(ds, "pons", train)
    allv = np.concatenate([ds.features("pons")[i].ravel() for i in train]).astype(np.float64)
    assert mean == pytest.approx(allv.mean(), rel=1e-6) and std == pytest.approx(allv.std(), rel=1e-5)
    assert isinstance(mean, float) and isinstance(std, float)
    other = data.norm_stats(ds, "pons", ds.splits()["test"])
    assert other != (mean, std)  # statistics come from the tracks asked for, nothing else


def test_make_patches_single_label(data):
    ds = data.dance_set("quick")
    sp = ds.splits()
    stats = data.norm_stats(ds, "pons", sp["train"])
    p = data.make_patches(ds, "pons", 80, sp["train"], stats=stats)
    n_frames = ds.features("pons")[0].shape[1]
    per_track = n_frames // 80
    assert p.x.shape == (len(sp["train"]) * per_track, 40, 80) and p.x.dtype == np.float32
    assert len(p) == len(p.x) == len(p.y) == len(p.track)
    assert set(p.track) == set(sp["train"].tolist())
    np.testing.assert_array_equal(p.y, ds.labels[p.track])
    assert p.classes == ds.classes and not p.multilabel
    # normalised with the training statistics: close to zero mean, unit variance
    assert abs(p.x.mean()) < 0.1 and abs(p.x.std() - 1) < 0.1
    # the first patch of a track is its first 80 frames, normalised
    first = np.flatnonzero(p.track == sp["train"][0])[0]
    raw = ds.features("pons")[sp["train"][0]][:, :80]
    np.testing.assert_allclose(p.x[first], (raw - stats[0]) / stats[1], rtol=1e-5, atol=1e-5)
    # overlapping patches with a hop
    q = data.make_patches(ds, "pons", 250, [0], hop=50)
    assert len(q) == 1 + (n_frames - 250) // 50
    np.testing.assert_array_equal(q.x[1], ds.features("pons")[0][:, 50:300])


def _band_energy(y, sr):
    """A cheap 4-band log-energy 'spectrogram' (hop 512), enough to test patching."""
    frames = y[: len(y) // 512 * 512].reshape(-1, 512)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    bands = np.array_split(spec, 4, axis=1)
    return np.log1p(np.stack([b.sum(axis=1) for b in bands])).astype(np.float32)


def test_make_patches_multilabel_and_short_tracks(data):
    ts = data.tag_set("quick")
    p = data.make_patches(ts, _band_energy, 40, range(10))
    n_frames = int(4.0 * ts.sr) // 512
    assert p.multilabel and p.y.dtype == np.float32 and p.y.shape == (len(p), len(ts.classes))
    assert len(p) == 10 * (n_frames // 40) and p.x.shape[1:] == (4, 40)
    np.testing.assert_array_equal(p.y, ts.labels[p.track])
    with pytest.warns(UserWarning, match="shorter than one patch"):
        empty = data.make_patches(ts, _band_energy, 10_000, [0, 1])
    assert len(empty) == 0 and empty.x.shape[1:] == (4, 10_000)


def test_make_patches_rejects_bad_arguments(data):
    ds = data.dance_set("quick")
    with pytest.raises(ValueError, match="n_frames"):
        data.make_patches(ds, "pons", 0)
    with pytest.raises(ValueError, match="stats"):
        data.make_patches(ds, "pons", 80, stats=(0.0, 0.0))
    with pytest.raises(IndexError):
        data.make_patches(ds, "pons", 80, [1000])


def _band_energy_fine(y, sr):
    """Like _band_energy with 8 bands (a separate function, so its features are not cached yet)."""
    frames = y[: len(y) // 512 * 512].reshape(-1, 512)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return np.log1p(np.stack([b.sum(axis=1) for b in np.array_split(spec, 8, axis=1)])).astype(np.float32)


def test_features_in_worker_processes_equal_direct_computation(data, recwarn):
    """The tag set is big enough for parallel feature extraction; results equal direct calls, in order."""
    import os

    from mmteach.data import trackset

    ts = data.tag_set("quick")
    assert trackset._workers(len(ts)) == min(4, os.cpu_count() or 1)
    feats = ts.features(_band_energy_fine)
    assert not [w for w in recwarn if "parallel" in str(w.message)], "worker processes did not start"
    for i in (0, 1, 47, len(ts) - 1):
        np.testing.assert_array_equal(feats[i], _band_energy_fine(ts.audio(i), ts.sr))
