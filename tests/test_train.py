"""Tests of mmteach.train on small synthetic tasks (fast, CPU, no data set needed)."""
from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from mmteach import checks, train


@dataclass
class P:  # a minimal Patches-like object
    x: np.ndarray
    y: np.ndarray
    track: np.ndarray
    classes: list | None = None
    multilabel: bool = False

    def __len__(self):
        return len(self.x)


def band_task(n_tracks=40, per_track=5, n_classes=4, n_mels=8, n_frames=12, seed=0, noise=1.0):
    """Class c = extra energy in mel band 2c; patches of a track share its class."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n_tracks) % n_classes
    rng.shuffle(labels)
    track = np.repeat(np.arange(n_tracks), per_track)
    y = labels[track]
    x = rng.normal(0, noise, (len(y), n_mels, n_frames)).astype(np.float32)
    x[np.arange(len(y)), 2 * y, :] += 1.5
    return P(x, y.astype(np.int64), track), labels


def small_net(n_mels=8, n_frames=12, n_out=4):
    return nn.Sequential(nn.Flatten(), nn.Linear(n_mels * n_frames, 16), nn.ReLU(), nn.Linear(16, n_out))


class Frozen(nn.Module):
    """Constant logits: the loss never changes, so the schedule's behaviour is exact."""

    def __init__(self, n_out=4):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return (self.w * 0).expand(x.shape[0], -1) + 0 * x.sum(dim=(1, 2))[:, None]


def split(p: P, tracks):
    m = np.isin(p.track, tracks)
    return P(p.x[m], p.y[m], p.track[m])


def test_fit_learns_and_beats_chance():
    data, _ = band_task(seed=1)
    tr, va, te = split(data, np.arange(0, 28)), split(data, np.arange(28, 34)), split(data, np.arange(34, 40))
    torch.manual_seed(0)
    net = small_net()
    hist = train.fit(net, tr, va, epochs=8, batch_size=10, progress=False, device="cpu")
    assert hist.epochs == 8
    assert hist.train_loss[-1] < 0.6 * hist.train_loss[0]
    res = train.evaluate(net, te)
    assert res["patch_accuracy"] > 0.8 and res["track_accuracy"] > 0.8   # chance: 0.25
    assert res["n_tracks"] == 6 and res["n_patches"] == 30
    assert res["confusion"].sum() == 6
    assert hist.samples_per_second > 0 and hist.seconds > 0
    assert "patches/s" in repr(hist)


def test_best_weights_restored():
    data, _ = band_task(seed=2)
    tr, va = split(data, np.arange(0, 30)), split(data, np.arange(30, 40))
    torch.manual_seed(0)
    net = small_net()
    hist = train.fit(net, tr, va, epochs=6, lr=0.5, progress=False, device="cpu")  # noisy on purpose
    assert 0 <= hist.best_epoch < 6
    best = hist.val_score[hist.best_epoch]
    assert best == max(hist.val_score)
    np.testing.assert_allclose(train.evaluate(net, va)["patch_accuracy"], best, atol=1e-9)


def test_reproducible_with_seed():
    data, _ = band_task(seed=3)
    runs = []
    for _ in range(2):
        torch.manual_seed(5)
        net = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(96, 4))
        runs.append(train.fit(net, data, epochs=3, progress=False, device="cpu", seed=7).train_loss)
    assert runs[0] == runs[1]
    torch.manual_seed(5)
    net = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(96, 4))
    other = train.fit(net, data, epochs=3, progress=False, device="cpu", seed=8).train_loss
    assert other != runs[0]


def test_lr_halved_when_training_loss_stalls():
    data, _ = band_task()
    hist = train.fit(Frozen(), data, epochs=4, lr=0.01, progress=False, device="cpu")
    # epoch 2 does not beat epoch 1, so epoch 3 runs at half the rate, and so on
    np.testing.assert_allclose(hist.lr, [0.01, 0.01, 0.005, 0.0025])
    hist = train.fit(Frozen(), data, epochs=3, lr=0.01, halve_lr_on_plateau=False, progress=False, device="cpu")
    assert hist.lr == [0.01, 0.01, 0.01]


def test_early_stopping():
    data, _ = band_task()
    hist = train.fit(Frozen(), data, data, epochs=20, patience=2, progress=False, device="cpu")
    assert hist.stopped_early and hist.epochs == 3 and hist.best_epoch == 0


def test_adam_and_bce_multilabel():
    rng = np.random.default_rng(0)
    n = 300
    Y = (rng.random((n, 3)) < 0.4).astype(np.float32)
    x = rng.normal(0, 1, (n, 6, 5)).astype(np.float32)
    x[:, :3, :] += 2 * Y[:, :, None]
    data = P(x, Y, np.arange(n) // 3, multilabel=True)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(30, 3))
    hist = train.fit(net, data, data, loss="bce", optimizer="adam", lr=0.01, epochs=5, batch_size=20,
                     progress=False, device="cpu")
    assert hist.score_name == "roc_auc"
    assert hist.train_loss[-1] < hist.train_loss[0]
    probs = train.predict(net, data)
    assert probs.shape == (n, 3) and probs.min() >= 0 and probs.max() <= 1
    assert not np.allclose(probs.sum(1), 1)            # independent sigmoids, not a softmax
    res = train.evaluate(net, data)
    assert res["roc_auc"] > 0.9 and res["patch_roc_auc"] > 0.9 and 0 < res["pr_auc"] <= 1


def test_predict_softmax_rows_sum_to_one():
    torch.manual_seed(0)
    net = small_net()
    x = np.random.default_rng(0).normal(size=(7, 8, 12)).astype(np.float32)
    p = train.predict(net, x, batch_size=3)
    assert p.shape == (7, 4) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(p, train.predict(net, torch.from_numpy(x)), atol=1e-6)
    with pytest.raises(ValueError, match="single patch"):
        train.predict(net, x[0])


def test_majority_vote():
    tracks, votes = train.majority_vote([1, 1, 2, 0, 0, 3, 2, 2], [5, 5, 5, 9, 9, 9, 2, 2], n_classes=4)
    assert tracks.tolist() == [2, 5, 9] and votes.tolist() == [2, 1, 0]
    # tie between classes 3 and 1 -> smaller index
    _, votes = train.majority_vote([3, 1], [0, 0])
    assert votes.tolist() == [1]
    with pytest.raises(ValueError):
        train.majority_vote([1, 2], [0])
    with checks.own_work(), pytest.raises(checks.ReferenceUsed):
        train.majority_vote([0], [0])


def test_evaluate_majority_vote_beats_patch_accuracy():
    # an "oracle" that is right on 3 of 5 patches of every track: patch acc 0.6, track acc 1.0
    data, labels = band_task(n_tracks=8, per_track=5)

    class Oracle(nn.Module):
        def __init__(self):
            super().__init__()
            self.dummy = nn.Parameter(torch.zeros(1))

        def forward(self, x):
            band = x.mean(dim=2)[:, ::2].argmax(1)  # noisy guess; override below
            return nn.functional.one_hot(band, 4).float()

    x = data.x.copy()
    # make patches 3 and 4 of each track point at the wrong class
    for i in range(len(x)):
        if i % 5 >= 3:
            x[i] = 0
            x[i, 2 * ((data.y[i] + 1) % 4)] = 10
        else:
            x[i] = 0
            x[i, 2 * data.y[i]] = 10
    res = train.evaluate(Oracle(), P(x, data.y, data.track))
    assert res["patch_accuracy"] == pytest.approx(0.6)
    assert res["track_accuracy"] == 1.0
    np.testing.assert_array_equal(res["track_true"], labels)


def test_bad_inputs_explained():
    data, _ = band_task()
    with pytest.raises(ValueError, match="outputs"):
        train.fit(small_net(n_out=2), data, epochs=1, progress=False, device="cpu")
    with pytest.raises(TypeError, match="Patches-like"):
        train.fit(small_net(), object(), epochs=1, progress=False)
    with pytest.raises(ValueError, match="n_patches, n_mels, n_frames"):
        train.fit(small_net(), P(data.x[:, 0], data.y, data.track), epochs=1, progress=False)
    with pytest.raises(ValueError, match="loss"):
        train.fit(small_net(), data, loss="mse", progress=False)
    bad = P(data.x.copy(), data.y, data.track)
    bad.x[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        train.fit(small_net(), bad, epochs=1, progress=False)


def test_cross_validate_with_fake_data_module(monkeypatch):
    data, labels = band_task(n_tracks=30, per_track=4, seed=4)

    class FakeSet:
        multilabel = False

        def __init__(self):
            self.labels = labels

        def __len__(self):
            return len(self.labels)

        def folds(self, k=10, seed=0):
            idx = np.random.default_rng(seed).permutation(len(self))
            parts = np.array_split(idx, k)
            out = []
            for i in range(k):
                test = parts[i]
                val = parts[(i + 1) % k]
                rest = np.concatenate([parts[j] for j in range(k) if j not in (i, (i + 1) % k)])
                out.append(dict(train=rest, val=val, test=test))
            return out

    seen = {}

    def norm_stats(ds, pipeline, indices):
        seen["stats_tracks"] = np.sort(indices)
        m = np.isin(data.track, indices)
        return float(data.x[m].mean()), float(data.x[m].std())

    def make_patches(ds, pipeline, n_frames, indices=None, hop=None, stats=None):
        m = np.isin(data.track, indices)
        x = (data.x[m] - stats[0]) / stats[1]
        return P(x[:, :, :n_frames], data.y[m], data.track[m])

    fake = types.ModuleType("mmteach.data")
    fake.norm_stats, fake.make_patches = norm_stats, make_patches
    monkeypatch.setitem(sys.modules, "mmteach.data", fake)
    import mmteach
    monkeypatch.setattr(mmteach, "data", fake, raising=False)

    res = train.cross_validate(lambda: small_net(), FakeSet(), "pons", 12, k=5, folds=[0, 2],
                               epochs=10, lr=0.05, progress=False, device="cpu")
    assert len(res["scores"]) == 2 and len(res["histories"]) == 2
    assert res["mean"] == pytest.approx(np.mean(res["scores"]))
    assert res["mean"] > 0.7
    assert res["n_parameters"] == 8 * 12 * 16 + 16 + 16 * 4 + 4
    # statistics come from the training tracks of the last fold only
    np.testing.assert_array_equal(seen["stats_tracks"], np.sort(FakeSet().folds(5)[2]["train"]))
    with pytest.raises(ValueError, match="out of range"):
        train.cross_validate(lambda: small_net(), FakeSet(), "pons", 12, k=5, folds=[7], progress=False)
