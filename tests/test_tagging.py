"""Tests of mmteach.tagging (lesson 07's helpers)."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from mmteach import models, tagging


def test_halve_resolution_averages_2x2_blocks():
    x = np.arange(2 * 5 * 7, dtype=np.float32).reshape(2, 5, 7)
    h = tagging.halve_resolution(x)
    assert h.shape == (2, 2, 3) and h.dtype == np.float32
    assert h[1, 1, 2] == pytest.approx(x[1, 2:4, 4:6].mean())
    with pytest.raises(ValueError):
        tagging.halve_resolution(np.zeros((3, 1, 5)))


def test_bce_loss_matches_torch_and_is_stable():
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(20, 5)) * 20, (rng.random((20, 5)) < 0.4).astype(float)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(y))
    assert tagging.bce_loss(z, y) == pytest.approx(float(ref), rel=1e-12)
    assert tagging.bce_loss(np.array([[1000.0]]), np.array([[0.0]])) == pytest.approx(1000.0)
    with pytest.raises(ValueError, match="same shape"):
        tagging.bce_loss(np.zeros((2, 2)), np.zeros((2, 3)))


@pytest.mark.parametrize("d, h, n", [(1, 1, 1), (128, 32, 2), (7, 13, 3)])
def test_gru_parameter_count(d, h, n):
    assert tagging.gru_parameter_count(d, h, n) == sum(p.numel() for p in torch.nn.GRU(d, h, n).parameters())


def test_activation_floats_reflect_feature_map_sizes():
    k1 = models.create("k1c2", n_classes=5, n_mels=48, n_frames=93, budget=100_000)
    k2 = models.create("k2c2", n_classes=5, n_mels=48, n_frames=93, budget=100_000)
    a1, a2 = tagging.activation_floats(k1, (48, 93)), tagging.activation_floats(k2, (48, 93))
    assert 0 < a1 < a2 / 5
    # the first conv block of k2c2 alone outputs N × 48 × 93 numbers (conv, BN and ELU each)
    assert a2 > 3 * k2.width * 48 * 93
    assert k2.training   # the mode is restored


def test_compare_runs_end_to_end():
    pytest.importorskip("mmteach.train")
    rng = np.random.default_rng(0)

    def patches(n):
        y = (rng.random((n, 3)) < 0.5).astype(np.float32)
        y[0], y[1] = 1, 0
        x = rng.normal(size=(n, 16, 24)).astype(np.float32)
        x[:, 2:5] += 2 * y[:, :1, None]
        return SimpleNamespace(x=x, y=y, track=np.arange(n), multilabel=True, classes=["a", "b", "c"])

    data = tagging.TagData(patches(32), patches(8), patches(12), None, 16, 24, ["a", "b", "c"])
    rows = tagging.compare(["k1c2", "crnn"], [5_000], data, epochs=2, progress=False)
    assert [r["model"] for r in rows] == ["k1c2", "crnn"]
    for r in rows:
        assert abs(r["params"] / 5_000 - 1) < 0.05
        assert 0 <= r["roc_auc"] <= 1 and r["ms_per_sample"] > 0 and r["activations"] > 0
        assert r["Y_score"].shape == (12, 3)


def test_compare_with_the_builtin_loop():
    """The stand-in loop (used when mmteach.train is absent) trains and keeps the best epoch."""
    rng = np.random.default_rng(1)

    def patches(n):
        y = (rng.random((n, 2)) < 0.5).astype(np.float32)
        y[0], y[1] = 1, 0
        x = rng.normal(size=(n, 16, 24)).astype(np.float32)
        x[:, 2:6] += 3 * y[:, :1, None]
        x[:, 10:14] += 3 * y[:, 1:2, None]
        return SimpleNamespace(x=x, y=y, track=np.arange(n), multilabel=True, classes=["a", "b"])

    data = tagging.TagData(patches(48), patches(16), patches(16), None, 16, 24, ["a", "b"])
    rows = tagging.compare(["k1c2"], [5_000], data, epochs=6, progress=False)
    assert rows[0]["roc_auc"] > 0.8
    assert len(rows[0]["history"].train_loss) == 6
