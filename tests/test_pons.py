"""Pons' models: exact parameter counts of the source tables, shapes, the fast temporal path, training."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mmteach import checks, models, train
from mmteach.models import pons

SEED002 = dict(pons.SEED002_PARAMS)
SEED003 = dict(pons.SEED003_PARAMS)


def test_tables_hold_the_published_figures():
    # written out again here, from seed 002 Table 1 and seed 003's table, so a typo in the module fails
    assert SEED002 == {"black-box": 3_275_312, "time": 7_336, "frequency": 3_368, "time-frequency": 196_816}
    assert SEED003 == {"o-net": 4_188, "p-net": 7_428, "2o": 8_368, "o+p": 11_608, "2p": 14_848,
                       "2o+2p": 23_208, "4o+4p": 46_408, "8o+8p": 92_808}


@pytest.mark.parametrize("name", list(SEED002) + list(SEED003))
def test_parameter_count_matches_source(name):
    net = models.create(name, n_classes=8)
    expected = {**SEED002, **SEED003}[name]
    assert models.count_parameters(net) == expected
    assert name in models.names()
    assert "seed 00" in models.source(name)


@pytest.mark.parametrize("name", list(SEED002))
def test_hand_counts_seed002(name):
    assert pons.table_params(name) == SEED002[name]


def test_hand_counts_seed003():
    combos = {"o-net": (1, 0), "p-net": (0, 1), "2o": (2, 0), "o+p": (1, 1), "2p": (0, 2), "2o+2p": (2, 2),
              "4o+4p": (4, 4), "8o+8p": (8, 8)}
    for name, (o, p) in combos.items():
        assert pons.temporal_net_params(o, p) == SEED003[name], name


def test_filter_lengths():
    assert pons.onet_lengths() == [6, 11, 16, 21, 26, 31, 36, 41]
    lengths = pons.pnet_lengths()
    assert lengths[0] == 46 and lengths[-1] == 216 and len(lengths) == 35
    assert all(b - a == 5 for a, b in zip(lengths, lengths[1:]))


def test_arithmetic_helpers():
    assert pons.conv_params(32, 12, 8) == 32 * 97
    assert pons.dense_params(960, 200) == 192_200
    assert pons.pooled_size(40, 12, 4) == 7 and pons.pooled_size(80, 60, 1) == 21
    with pytest.raises(ValueError):
        pons.pooled_size(40, 41, 1)
    with pytest.raises(ValueError):
        pons.conv_params(0, 3, 3)
    with checks.own_work(), pytest.raises(checks.ReferenceUsed):
        pons.conv_params(1, 1, 1)


@pytest.mark.parametrize("name", list(SEED002) + ["o-net", "p-net", "o+p", "2o+2p"])
def test_output_shapes(name):
    n_frames = 80 if name in SEED002 else 250
    net = models.create(name, n_classes=5).eval()
    out = net(torch.randn(3, 40, n_frames))
    assert out.shape == (3, 5)
    with pytest.raises(ValueError, match="mel bands"):
        net(torch.randn(3, 39, n_frames))
    with pytest.raises(ValueError, match=r"\(batch, n_mels, n_frames\)"):
        net(torch.randn(40, n_frames))


def test_other_input_sizes():
    # the layers that span "all bands" / "all frames" follow the input size
    assert models.create("time", n_mels=96, n_frames=100)(torch.randn(2, 96, 100)).shape == (2, 8)
    assert models.create("frequency", n_mels=96, n_frames=100)(torch.randn(2, 96, 100)).shape == (2, 8)
    with pytest.raises(ValueError, match="frames"):
        models.create("p-net", n_frames=200)


def test_branch_feature_sizes():
    tf = models.create("time-frequency")
    x = torch.randn(2, 1, 40, 80)
    assert tf.time(x).shape == (2, 32 * 21) and tf.frequency(x).shape == (2, 32 * 9)
    onet = models.create("o-net")
    assert onet.features(torch.randn(2, 40, 250)).shape == (2, 40, 10)
    assert len(onet.filters()) == 40 and onet.filters()[-1][1].shape == (41,)


@pytest.mark.parametrize("name", ["o-net", "p-net", "o+p", "2o+2p"])
def test_fast_temporal_path_equals_literal_one(name):
    torch.manual_seed(1)
    net = models.create(name)
    # negative biases make some ReLUs clip, which the fast path must get right too
    with torch.no_grad():
        for p in net.parameters():
            if p.ndim == 1:
                p.uniform_(-0.5, 0.5)
    x = torch.randn(4, 40, 250)
    fast, slow = net.features(x), net.features_reference(x)
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-5)
    params = [p for n, p in net.named_parameters() if not n.startswith("out.")]
    g_fast = torch.autograd.grad((fast ** 2).sum(), params)
    g_slow = torch.autograd.grad((slow ** 2).sum(), params)
    for a, b in zip(g_fast, g_slow):
        torch.testing.assert_close(a, b, atol=1e-3, rtol=1e-4)
    with torch.no_grad():                       # inference path, chunked
        torch.testing.assert_close(net.features(x), slow.detach(), atol=1e-5, rtol=1e-5)


def test_initialisation_follows_lasagne():
    net = models.create("time-frequency")
    assert torch.count_nonzero(net.dense.bias) == 0
    bound = np.sqrt(6 / (960 + 200))          # Glorot uniform
    assert net.dense.weight.abs().max() <= bound and net.dense.weight.abs().max() > 0.9 * bound


@pytest.mark.parametrize("o,p,m,k", [(1, 0, 40, 8), (0, 3, 96, 50), (1, 2, 48, 10), (2, 1, 41, 3)])
def test_hand_count_matches_model_for_other_sizes(o, p, m, k):
    assert pons.temporal_net_params(o, p, n_mels=m, n_classes=k) == \
        models.count_parameters(pons.TemporalNet(o, p, n_classes=k, n_mels=m))
    for name in SEED002:
        assert pons.table_params(name, n_mels=m + 8, n_frames=100, n_classes=k) == \
            models.count_parameters(models.create(name, n_mels=m + 8, n_frames=100, n_classes=k))


def test_design_lengths_and_periodicity():
    onet, pnet = pons.design_lengths(43.07)
    assert onet == list(pons.ONET_LENGTHS) and pnet == list(pons.PNET_LENGTHS)
    w = np.zeros(150)
    w[5::19] = 1.0
    assert pons.dominant_period(w) == 19
    r = pons.autocorrelation(w)
    assert r[0] == pytest.approx(1.0) and r.shape == (150,)
    assert pons.dominant_period(np.arange(40.0)) == 0
    np.testing.assert_array_equal(pons.autocorrelation(np.full(7, 2.0)), np.zeros(7))


# ---------------------------------------------------------------------------------------------
# Training on the offline dance set (quick size: 40 tracks, 8 classes; chance = 12.5 %)
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dance():
    data = pytest.importorskip("mmteach.data")
    ds = data.dance_set("quick")
    split = ds.splits(seed=0)
    stats = data.norm_stats(ds, "pons", split["train"])
    held_out = np.concatenate([split["val"], split["test"]])

    def patches(n_frames, hop):
        return (data.make_patches(ds, "pons", n_frames, indices=split["train"], hop=hop, stats=stats),
                data.make_patches(ds, "pons", n_frames, indices=held_out, hop=hop, stats=stats))
    return patches


@pytest.mark.parametrize("name,n_frames,hop,epochs", [
    ("black-box", 80, None, 6), ("time", 80, None, 30), ("frequency", 80, None, 10),
    ("time-frequency", 80, None, 8), ("o-net", 250, 80, 20), ("p-net", 250, 80, 10), ("o+p", 250, 80, 8)])
def test_models_learn_the_dance_set(dance, name, n_frames, hop, epochs):
    # Adam makes these short runs reliable; the seed-002 SGD recipe itself is tested in test_train.py.
    train_p, held_out = dance(n_frames, hop)
    torch.manual_seed(0)
    net = models.create(name, n_classes=8)
    hist = train.fit(net, train_p, epochs=epochs, optimizer="adam", lr=1e-3, progress=False, device="cpu")
    assert hist.train_loss[-1] < 0.75 * hist.train_loss[0], hist.train_loss
    res = train.evaluate(net, held_out)
    assert res["patch_accuracy"] >= 0.25, res["patch_accuracy"]       # chance: 0.125
