"""mmteach.models.small_cnns: the three lesson-10 models, their interpretation hooks and the trainer."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mmteach import models
from mmteach.data import Patches
from mmteach import train as training
from mmteach.models.small_cnns import GapCNN, MaskedCNN, VanillaCNN, elliptical_mask


@pytest.mark.parametrize("name,cls", [("vanilla-cnn", VanillaCNN), ("masked-cnn", MaskedCNN), ("gap-cnn", GapCNN)])
def test_registered_and_shapes(name, cls):
    net = models.create(name, n_classes=8)
    assert isinstance(net, cls)
    out = net(torch.randn(3, 96, 187))
    assert out.shape == (3, 8)
    acts, sizes = net.conv_activations(torch.randn(2, 96, 187))
    assert acts[0].shape[2:] == (96, 187)            # "same" padding keeps conv1 at input size
    assert sizes[0] == (96, 187) and len(acts) == len(net.conv_layers())
    assert net.conv1_activations(torch.randn(1, 96, 187)).min() >= 0


def test_parameter_counts_follow_the_definition():
    # vanilla: conv1 8·(25+1), conv2 16·(8·9+1), dense (16·6·11)·64 + 64, output 64·8 + 8
    assert models.count_parameters(models.create("vanilla-cnn")) == 8 * 26 + 16 * 73 + 1056 * 64 + 64 + 64 * 8 + 8
    # GAP: conv1 8·26, conv2 16·73, conv3 32·(16·9+1), dense 32·8 + 8
    assert models.count_parameters(models.create("gap-cnn")) == 8 * 26 + 16 * 73 + 32 * 145 + 32 * 8 + 8


def test_other_input_sizes_and_bad_input():
    net = VanillaCNN(n_classes=3, n_mels=40, n_frames=80)
    assert net(torch.randn(2, 40, 80)).shape == (2, 3)
    with pytest.raises(ValueError, match="batch, 40"):
        net(torch.randn(2, 96, 80))
    with pytest.raises(TypeError):
        net(np.zeros((2, 40, 80), np.float32))
    with pytest.raises(ValueError, match="too small"):
        VanillaCNN(n_mels=8, n_frames=8)
    with pytest.raises(ValueError, match="n_classes"):
        GapCNN(n_classes=1)


def test_elliptical_mask_is_one_at_the_centre_and_zero_far_away():
    m = elliptical_mask(20, 30, torch.tensor([[5]]), torch.tensor([[10]]), 2.0, 4.0)
    assert m.shape == (1, 1, 20, 30)
    assert m[0, 0, 5, 10] == 1 and m[0, 0, 5, 13] == 1          # inside the ellipse (d = 0.75)
    assert m[0, 0, 5, 18] == 0 and m[0, 0, 15, 10] == 0          # d >= 2
    assert 0 < m[0, 0, 8, 10] < 1                                # d = 1.5: fading


def test_masked_cnn_keeps_conv2_maps_near_their_maximum():
    net = MaskedCNN(n_classes=4).eval()
    with torch.no_grad():
        acts, _ = net.conv_activations(torch.randn(1, 96, 187), upto=2)
    a = acts[1][0]                                                # (16, 24, 46)
    for f in range(a.shape[0]):
        if a[f].max() <= 0:
            continue
        r, c = np.unravel_index(int(a[f].argmax()), a[f].shape)
        rows, cols = np.nonzero(a[f].numpy() > 0)
        # nothing survives beyond twice the radii (0.2·24 = 4.8 rows, 0.15·46 = 6.9 columns)
        assert np.all(((rows - r) / 4.8) ** 2 + ((cols - c) / 6.9) ** 2 <= 4.0 + 1e-6)


def _toy_patches(n, rng, n_mels=16, n_frames=24):
    """Class 1 = a bright vertical stripe (an 'onset'), class 0 = a horizontal one, in noise."""
    x = rng.normal(0, 0.3, (n, n_mels, n_frames)).astype(np.float32)
    y = rng.integers(0, 2, n)
    for i in range(n):
        r, c = rng.integers(3, n_mels - 3), rng.integers(3, n_frames - 3)
        if y[i]:
            x[i, r - 3:r + 3, c] += 2.0
        else:
            x[i, r, c - 3:c + 3] += 2.0
    return Patches(x=x, y=y.astype(np.int64), track=np.arange(n), classes=["horizontal", "vertical"])


def test_the_models_learn_a_toy_task_with_mmteach_train():
    rng = np.random.default_rng(0)
    train, val = _toy_patches(256, rng), _toy_patches(64, rng)
    torch.manual_seed(0)
    nets = ((VanillaCNN(n_classes=2, n_mels=16, n_frames=24, pools=(2, 2), dropout=0.0), 3e-3),
            (GapCNN(n_classes=2, n_mels=16, n_frames=24, pools=(2, 2)), 1e-2))
    for net, lr in nets:
        hist = training.fit(net, train, val, optimizer="adam", lr=lr, epochs=8, batch_size=32,
                            halve_lr_on_plateau=False, progress=False, device="cpu")
        assert hist.train_loss[-1] < hist.train_loss[0]
        acc = training.evaluate(net, val, device="cpu")["patch_accuracy"]
        assert acc > 0.85, type(net).__name__
