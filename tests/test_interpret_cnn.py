"""mmteach.interpret, part 2: activation masks, deconvolution, class activation maps, auralisation
on small known cases."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmteach import audio, checks
from mmteach import interpret as I
from mmteach.models.small_cnns import GapCNN, VanillaCNN


# ------------------------------------------------------------------ deconvolution
@pytest.mark.parametrize("k,p", [((3, 3), (1, 1)), ((3, 5), (1, 2)), ((4, 4), (0, 0)), ((5, 3), (2, 0))])
def test_deconv_layer_is_the_transposed_convolution(k, p):
    g = torch.Generator().manual_seed(0)
    w = torch.randn(6, 4, *k, generator=g)
    m = torch.randn(2, 6, 11, 13, generator=g)
    np.testing.assert_allclose(I.deconv_layer(m, w, padding=p).numpy(),
                               F.conv_transpose2d(m, w, padding=p).numpy(), atol=1e-4)
    single = I.deconv_layer(m[0], w, padding=p)              # (C_out, H, W) works too
    assert single.shape == F.conv_transpose2d(m[:1], w, padding=p).shape[1:]


def test_deconv_layer_is_the_gradient_of_the_convolution():
    """conv_transpose is the adjoint of conv: <conv(x), m> = <x, deconv(m)>."""
    g = torch.Generator().manual_seed(1)
    w, x = torch.randn(5, 3, 3, 3, generator=g), torch.randn(1, 3, 9, 10, generator=g)
    m = torch.randn(1, 5, 9, 10, generator=g)
    lhs = (F.conv2d(x, w, padding=1) * m).sum()
    rhs = (x * I.deconv_layer(m, w, padding=1)).sum()
    assert lhs.item() == pytest.approx(rhs.item(), rel=1e-4)


def test_deconv_layer_rejects_mismatched_channels():
    with pytest.raises(ValueError, match="maps must be"):
        I.deconv_layer(torch.zeros(1, 3, 5, 5), torch.zeros(4, 2, 3, 3))


def test_deconvolve_shape_and_locality():
    """A single conv2 filter's deconvolution of a patch with one bright spot lies around the spot."""
    torch.manual_seed(0)
    net = VanillaCNN(n_classes=3, n_mels=32, n_frames=64, pools=(2, 2)).eval()
    with torch.no_grad():
        for conv in net.conv_layers():      # non-negative weights: every unit sees the spot positively
            conv.weight.abs_()
            conv.bias.zero_()
    x = np.zeros((32, 64), np.float32)
    x[10, 40] = 5.0
    d = I.deconvolve(net, x, layer=2)
    assert d.shape == (32, 64) and np.isfinite(d).all()
    r, c = np.unravel_index(np.abs(d).argmax(), d.shape)
    assert abs(r - 10) <= 4 and abs(c - 40) <= 4
    assert np.abs(d[:, :20]).max() == 0                        # far from the spot: nothing
    d1 = I.deconvolve(net, x, layer=1, filter=0)
    assert d1.shape == (32, 64)
    with pytest.raises(ValueError, match="layer"):
        I.deconvolve(net, x, layer=3)


# ------------------------------------------------------------------ CAM
def test_cam_from_features_is_the_weighted_sum():
    A = np.zeros((2, 2, 3))
    A[0, 0, 0], A[1, 1, 2] = 1.0, 2.0
    W = np.array([[1.0, 0.0], [0.5, -1.0]])
    np.testing.assert_allclose(I.cam_from_features(A, W, 1), [[0.5, 0, 0], [0, 0, -2.0]])
    with pytest.raises(ValueError):
        I.cam_from_features(A, np.zeros((2, 3)), 0)


def _planted_gap():
    """A GAP network wired by hand: conv1 channel 0 detects a bright 5×5 blob, conv2 and conv3 pass
    channel 0 through (centre tap 1), the classifier gives class 1 weight +1 on it, class 0 −1."""
    net = GapCNN(n_classes=2, n_mels=32, n_frames=64, filters=(2, 2, 2), kernels=(5, 3, 3), pools=(2, 2)).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        c1, c2, c3 = net.conv_layers()
        c1.weight[0, 0] = 1.0 / 25
        c1.bias[0] = -0.5                  # fires only where the 5×5 mean exceeds 0.5
        c2.weight[0, 0, 1, 1] = 1.0
        c3.weight[0, 0, 1, 1] = 1.0
        net.classifier.weight[1, 0] = 1.0
        net.classifier.weight[0, 0] = -1.0
    return net


@pytest.mark.parametrize("where", [(8, 12), (20, 45), (26, 5)])
def test_cam_peaks_where_the_planted_pattern_sits(where):
    net = _planted_gap()
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 0.3, (32, 64)).astype(np.float32)
    r0, c0 = where
    x[r0 - 2:r0 + 3, c0 - 2:c0 + 3] = 1.0
    cam, cls = I.class_activation_map(net, x)
    assert cls == 1                                            # predicted: the blob class
    assert cam.shape == (32, 64)
    r, c = np.unravel_index(cam.argmax(), cam.shape)
    assert abs(r - r0) <= 3 and abs(c - c0) <= 3
    small, _ = I.class_activation_map(net, x, 1, upsample=False)
    assert small.shape == (8, 16)
    # the logit is the mean of the (un-upsampled) CAM plus the bias
    with torch.no_grad():
        logit = net(torch.from_numpy(x)[None])[0, 1].item()
    assert small.mean() + net.classifier.bias[1].item() == pytest.approx(logit, abs=1e-5)
    cam0, _ = I.class_activation_map(net, x, 0)
    assert cam0.argmin() == cam.argmax()                        # the other class sees it as counter-evidence


def test_cam_needs_a_gap_model():
    with pytest.raises(TypeError, match="global-average-pooling"):
        I.class_activation_map(VanillaCNN(n_classes=2), np.zeros((96, 187), np.float32))


# ------------------------------------------------------------------ masks
def test_activation_to_mask_soft_and_binary():
    a = np.array([[0.0, 1.0], [2.0, 4.0]])
    np.testing.assert_allclose(I.activation_to_mask(a), [[0, 0.25], [0.5, 1]])
    np.testing.assert_array_equal(I.activation_to_mask(a, 0.5), [[0, 0], [1, 1]])
    np.testing.assert_array_equal(I.activation_to_mask(np.zeros((2, 3)), 0.5), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        I.activation_to_mask(a, 1.5)
    with pytest.raises(checks.ReferenceUsed):
        checks.call(lambda: I.activation_to_mask(a))


def test_conv1_mask_follows_the_filter():
    net = VanillaCNN(n_classes=2, n_mels=16, n_frames=20, pools=(2, 2)).eval()
    with torch.no_grad():
        c1 = net.conv_layers()[0]
        c1.weight.zero_(); c1.bias.zero_()
        c1.weight[0, 0, 2, 2] = 1.0                    # filter 0 = identity
    x = np.zeros((16, 20), np.float32)
    x[4, 7] = 3.0
    x[10, 2] = 1.0
    m = I.conv1_mask(net, x, 0)
    np.testing.assert_allclose(m, x / 3.0, atol=1e-6)
    np.testing.assert_array_equal(I.conv1_mask(net, x, 0, binary_quantile=0.999), (x == 3.0).astype(np.float32))
    assert I.conv1_mask(net, x, 1).max() == 0          # a silent filter gives an all-zero mask
    np.testing.assert_allclose(I.apply_mask(x, m), x * m)


# ------------------------------------------------------------------ auralisation
def test_log_mel_to_power_inverts_the_compression():
    S = np.random.default_rng(0).random((96, 10)) * 0.2
    np.testing.assert_allclose(I.log_mel_to_power(np.log10(1 + 10000 * S)), S, atol=1e-10)
    assert I.log_mel_to_power(np.array([-1.0]))[0] == 0.0


@pytest.mark.parametrize("pipeline,n_mels,sr,hop", [("musicnn", 96, 16000, 256), ("pons", 40, 44100, 1024)])
def test_auralise_gives_finite_audio_of_the_right_length(pipeline, n_mels, sr, hop):
    rng = np.random.default_rng(0)
    L = rng.uniform(0, 3, (n_mels, 40)).astype(np.float32)
    mask = (rng.random((n_mels, 40)) > 0.5).astype(np.float32)
    y, out_sr = I.auralise(L, mask, pipeline=pipeline, n_iter=4)
    assert out_sr == sr and y.dtype == np.float32
    assert y.shape == ((40 - 1) * hop,)
    assert np.isfinite(y).all() and 0 < np.abs(y).max() <= 0.5 + 1e-6
    silent, _ = I.auralise(L, np.zeros_like(mask), pipeline=pipeline, n_iter=4)
    assert silent.shape == y.shape and not silent.any()


def test_auralise_keeps_what_the_mask_keeps():
    """A low tone plus a high tone; masking out the high bands leaves (mostly) the low tone."""
    sr = 16000
    t = np.arange(2 * sr) / sr
    y = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.3 * np.sin(2 * np.pi * 3000 * t)).astype(np.float32)
    L = audio.musicnn_input(y, sr)
    mask = np.zeros_like(L)
    mask[:40] = 1.0                                    # mel bands below about 1.5 kHz
    out, _ = I.auralise(L, mask, n_iter=16)
    spec = np.abs(np.fft.rfft(out))
    f = np.fft.rfftfreq(len(out), 1 / sr)
    low = spec[(f > 200) & (f < 240)].sum()
    high = spec[(f > 2950) & (f < 3050)].sum()
    assert low > 10 * high


def test_auralise_undoes_normalisation_and_rejects_bad_input():
    L = np.full((96, 20), 2.0, np.float32)
    y1, _ = I.auralise(L, n_iter=2)
    y2, _ = I.auralise((L - 1.5) / 0.5, n_iter=2, stats=(1.5, 0.5))
    np.testing.assert_allclose(y1, y2, atol=1e-5)
    with pytest.raises(ValueError, match="pipeline"):
        I.auralise(L, pipeline="nope")
    with pytest.raises(ValueError, match="shape"):
        I.auralise(L, np.ones((96, 21)))
    with pytest.raises(ValueError, match="NaN"):
        I.auralise(np.full((96, 20), np.nan))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        I.auralise(L, np.full((96, 20), 2.0))
