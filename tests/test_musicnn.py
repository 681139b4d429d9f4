"""MusiCNN port: architecture, pretrained weights, equivalence with the original TensorFlow model.

The fixtures in tests/fixtures/musicnn/ were made by scripts/make_musicnn_fixtures.py with the
original musicnn 0.1.0 code on TensorFlow 2.15 (see that script). Both models get the same log-mel
input the original computed, so these tests compare the networks alone.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from mmteach import models
from mmteach.models.musicnn import MusiCNN, interleave_pools, same_padding
from mmteach.pretrained import MODELS, Taggram, load_musicnn, plot_taggram, tag, top_tags

FIX = Path(__file__).parent / "fixtures" / "musicnn"
ROOT = Path(__file__).resolve().parents[1]

HAVE_WEIGHTS = importlib.util.find_spec("musicnn") is not None
needs_weights = pytest.mark.skipif(not HAVE_WEIGHTS, reason="musicnn wheel (the original weights) not installed")


def _logmel_batch() -> torch.Tensor:
    """The original's input patches, (n_patches, 96, 187) in our layout."""
    logmel = np.load(FIX / "audio.npz")["logmel"]              # (n, 187, 96) as TF takes it
    return torch.from_numpy(np.ascontiguousarray(logmel.transpose(0, 2, 1)))


@pytest.fixture(scope="module", params=["MTT_musicnn", "MSD_musicnn"])
def pretrained(request):
    return request.param, load_musicnn(request.param)


# ---------------------------------------------------------------- architecture
def test_parameter_count_matches_original():
    net = models.create("musicnn")
    assert isinstance(net, MusiCNN)
    assert models.count_parameters(net) == 787_159
    # batch-norm running statistics are buffers: 4,920 of them in the original checkpoint
    n_stats = sum(b.numel() for k, b in net.state_dict().items() if "running_" in k)
    assert n_stats == 4_920


def test_small_variant_parameter_count_follows_definition():
    net = MusiCNN(n_classes=10, width=0.25, num_filt_midend=16, n_units_backend=32)
    t, s = 32, 8                                    # int(0.25·128), int(0.25·32)
    front = 2 + t * (7 * 38 + 1) + t * (7 * 67 + 1) + s * (128 + 1) + s * (64 + 1) + s * (32 + 1) \
        + 2 * (2 * t + 3 * s)
    c = 2 * t + 3 * s
    mid = 16 * (7 * c + 1) + 2 * 16 * (7 * 16 + 1) + 3 * 2 * 16
    pooled = 2 * (c + 48)
    back = 2 * pooled + 32 * (pooled + 1) + 2 * 32 + 10 * 33
    assert models.count_parameters(net) == front + mid + back


def test_same_padding_is_tensorflows():
    assert same_padding(128) == (63, 64)
    assert same_padding(64) == (31, 32)
    assert same_padding(32) == (15, 16)
    assert same_padding(7) == (3, 3)
    assert same_padding(1) == (0, 0)
    with pytest.raises(ValueError, match="positive int"):
        same_padding(0)


def test_pools_are_interleaved():
    mx = torch.tensor([[1.0, 2.0, 3.0]])
    mean = torch.tensor([[10.0, 20.0, 30.0]])
    assert interleave_pools(mx, mean).tolist() == [[1.0, 10.0, 2.0, 20.0, 3.0, 30.0]]


def test_feature_shapes_and_any_length():
    net = MusiCNN().eval()
    with torch.no_grad():
        f = net.features(torch.randn(2, 96, 187))
        assert f["timbral"].shape == (2, 408, 187)
        assert f["temporal"].shape == (2, 153, 187)
        assert f["frontend"].shape == (2, 561, 187)
        for k in ("cnn1", "cnn2", "cnn3"):
            assert f[k].shape == (2, 64, 187)
        assert f["midend"].shape == (2, 753, 187)
        assert f["pooled"].shape == (2, 1506)
        assert f["penultimate"].shape == (2, 200)
        assert f["taggram"].shape == (2, 50)
        torch.testing.assert_close(f["taggram"], torch.sigmoid(f["logits"]))
        # global pooling: other lengths work, even shorter than the longest temporal filter
        assert net(torch.randn(1, 96, 50)).shape == (1, 50)
        assert net(torch.randn(1, 96, 400)).shape == (1, 50)


def test_each_patch_is_computed_on_its_own():
    """Batch of patches == patches one by one (no leakage across the batch in eval mode)."""
    net = MusiCNN().eval()
    x = torch.randn(3, 96, 187)
    with torch.no_grad():
        together = net.features(x)
        alone = net.features(x[2:3])
    torch.testing.assert_close(together["cnn3"][2:3], alone["cnn3"], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("bad, err, match", [
    (torch.randn(96, 187), ValueError, r"add a batch axis"),
    (torch.randn(1, 187, 96), ValueError, r"transpose"),
    (torch.randn(1, 1, 96, 187), ValueError, r"\(batch, 96, n_frames\)"),
    (torch.randn(1, 40, 187), ValueError, r"96 mel bands"),
    (np.zeros((1, 96, 187), np.float32), TypeError, r"torch.Tensor"),
    (torch.zeros(1, 96, 187, dtype=torch.int64), TypeError, r"floating-point"),
    (torch.zeros(1, 96, 0), ValueError, r"empty"),
])
def test_bad_input_gets_a_clear_error(bad, err, match):
    with pytest.raises(err, match=match):
        MusiCNN()(bad)


def test_trainable_from_scratch():
    """A small variant fits a tiny multi-label problem: the loss falls and BN statistics move."""
    torch.manual_seed(0)
    net = models.create("musicnn", n_classes=3, width=0.25, num_filt_midend=8, n_units_backend=16)
    x = torch.randn(4, 96, 32)
    y = (torch.rand(4, 3) > 0.5).float()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    net.train()
    first = loss_fn(net(x), y).item()
    for _ in range(15):
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
    assert not torch.allclose(net.frontend.input_bn.running_mean, torch.zeros(1))


# ---------------------------------------------------------------- pretrained weights
@needs_weights
def test_pretrained_loads_in_eval_mode_with_tags(pretrained):
    name, net = pretrained
    assert not net.training
    assert net.tags == MODELS[name][0] and len(net.tags) == 50
    assert models.count_parameters(net) == 787_159


@needs_weights
def test_fixture_taggram_matches_original(pretrained):
    name = pretrained[0]
    ref = np.load(FIX / f"{name}.npz")
    with torch.no_grad():
        f = pretrained[1].features(_logmel_batch())
    diff = np.abs(f["taggram"].numpy() - ref["taggram"]).max()
    assert diff < 1e-4, f"{name} taggram differs from the original by {diff:.2e}"
    assert list(ref["labels"]) == pretrained[1].tags


def _rel(ours: np.ndarray, ref: np.ndarray) -> float:
    """Largest difference relative to the feature's scale: max|a-b| / max(1, max|b|)."""
    return float(np.abs(ours - ref).max() / max(1.0, np.abs(ref).max()))


@needs_weights
def test_fixture_features_match_original(pretrained):
    name, net = pretrained
    ref = np.load(FIX / f"{name}.npz")
    with torch.no_grad():
        f = {k: v.numpy() for k, v in net.features(_logmel_batch()).items()}
    # patch 0, laid out (time, channels) as the original returns them
    for key in ("timbral", "temporal", "cnn1", "cnn2", "cnn3"):
        assert _rel(f[key][0].T, ref[key]) < 1e-4, key
    # every patch (the original graph run on the whole batch)
    assert _rel(f["cnn3"].transpose(0, 2, 1), ref["batch_cnn3"]) < 1e-4
    for key in ("mean_pool", "max_pool", "penultimate"):
        assert _rel(f[key], ref[key]) < 1e-4, key
    # front-end = timbral then temporal; mid-end = front-end, cnn1, cnn2, cnn3
    np.testing.assert_array_equal(f["frontend"], np.concatenate([f["timbral"], f["temporal"]], axis=1))
    np.testing.assert_array_equal(f["max_pool"], f["midend"].max(axis=2))


@needs_weights
def test_original_extractor_repeats_patch_0_features_and_we_do_not(pretrained):
    name, net = pretrained
    ref = np.load(FIX / f"{name}.npz")
    # the fixture documents the original's bug: its patch-1 cnn3 and penultimate are patch 0's
    np.testing.assert_allclose(ref["extractor_cnn3"], ref["batch_cnn3"][0], atol=1e-4)
    np.testing.assert_array_equal(ref["extractor_penultimate"][1], ref["extractor_penultimate"][0])
    assert np.abs(ref["batch_cnn3"][1] - ref["batch_cnn3"][0]).max() > 0.1
    with torch.no_grad():
        f = net.features(_logmel_batch())
    assert _rel(f["cnn3"][1].numpy().T, ref["batch_cnn3"][1]) < 1e-4
    assert _rel(f["penultimate"][1].numpy(), ref["penultimate"][1]) < 1e-4


# ---------------------------------------------------------------- tagging API
@needs_weights
def test_tag_patches_gives_taggram_and_top_tags():
    x = _logmel_batch().numpy()
    result = tag(x, model="MTT_musicnn")
    assert isinstance(result, Taggram)
    assert result.taggram.shape == (2, 50)
    np.testing.assert_allclose(result.taggram, np.load(FIX / "MTT_musicnn.npz")["taggram"], atol=1e-4)
    np.testing.assert_allclose(result.times, [0.0, 187 * 256 / 16000])
    top = result.top(3)
    assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]
    assert top[0][0] == result.tags[int(np.argmax(result.taggram.mean(axis=0)))]


def test_top_tags_and_plot():
    tags = ["a", "b", "c"]
    tg = np.array([[0.1, 0.9, 0.5], [0.3, 0.7, 0.6]], np.float32)
    assert [t for t, _ in top_tags(tg, tags, 2)] == ["b", "c"]
    with pytest.raises(ValueError, match=r"\(n_patches, 3\)"):
        top_tags(tg[:, :2], tags)
    import matplotlib
    matplotlib.use("Agg")
    r = Taggram(tg, tags, np.array([0.0, 2.992]), "test", 2.992)
    ax = plot_taggram(r, n_tags=2)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "c"]
    with pytest.raises(TypeError, match="Taggram"):
        plot_taggram(tg)


@needs_weights
def test_tag_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"mono audio"):
        tag(np.zeros((2, 16000), np.float32), sr=16000)
    with pytest.raises(ValueError, match=r"\(n_patches, 96, n_frames\)"):
        tag(np.zeros((2, 40, 187), np.float32))
    with pytest.raises(ValueError, match="sample rate"):
        tag(np.zeros(48000, np.float32))


@needs_weights
def test_end_to_end_from_audio_with_mmteach_audio():
    """Audio → mmteach.audio pipeline → port, against the original's taggram on the same audio."""
    audio = pytest.importorskip("mmteach.audio")
    data = np.load(FIX / "audio.npz")
    y = data["audio_int16"].astype(np.float32) / 32768
    patches = audio.musicnn_patches(y, 16000)
    ref_in = data["logmel"].transpose(0, 2, 1)
    assert patches.shape == ref_in.shape
    # the log-mel may differ in a few float16-rounding steps from librosa 0.10.2's
    assert np.abs(patches - ref_in).mean() < 1e-3
    result = tag(y, sr=16000, model="MTT_musicnn")
    assert np.abs(result.taggram - np.load(FIX / "MTT_musicnn.npz")["taggram"]).max() < 1e-2
