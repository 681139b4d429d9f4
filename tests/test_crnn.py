"""Tests of the four Choi et al. tagging architectures in mmteach.models.crnn."""
import numpy as np
import pytest
import torch

from mmteach import models
from mmteach.models import crnn


@pytest.mark.parametrize("name", crnn.ARCHITECTURES)
@pytest.mark.parametrize("budget", crnn.BUDGETS)
def test_every_budget_within_5_percent(name, budget):
    w = crnn.width_for_budget(name, budget, n_classes=50)
    with torch.device("meta"):
        n = models.count_parameters(crnn.build(name, n_classes=50, width=w))
    assert abs(n / budget - 1) <= 0.05, (name, budget, w, n)
    # the neighbours are further away: the helper really picked the closest width
    for other in (w - 1, w + 1):
        with torch.device("meta"):
            m = models.count_parameters(crnn.build(name, n_classes=50, width=other))
        assert abs(m - budget) >= abs(n - budget)


@pytest.mark.parametrize("name", crnn.ARCHITECTURES)
def test_budgets_hold_for_other_inputs_and_tag_counts(name):
    for n_mels, n_frames, n_classes in ((96, 94, 12), (40, 129, 20), (96, 1366, 50)):
        for budget in (100_000, 3_000_000):
            w = crnn.width_for_budget(name, budget, n_classes=n_classes, n_mels=n_mels, n_frames=n_frames)
            with torch.device("meta"):
                n = models.count_parameters(crnn.build(name, n_classes=n_classes, n_mels=n_mels, n_frames=n_frames, width=w))
            assert abs(n / budget - 1) <= 0.05


def test_unreachable_budget_is_a_clear_error():
    with pytest.raises(ValueError, match="within 5%"):
        crnn.width_for_budget("k1c2", 500, n_classes=50)
    with pytest.raises(ValueError, match="positive"):
        crnn.width_for_budget("crnn", -1)
    with pytest.raises(KeyError, match="unknown"):
        crnn.width_for_budget("k3c3", 1e5)


@pytest.mark.parametrize("name", crnn.ARCHITECTURES)
def test_registered_and_forward_shapes(name):
    assert name in models.names()
    assert "Choi" in models.source(name)
    torch.manual_seed(0)
    net = models.create(name, n_classes=7, n_mels=96, n_frames=94, width=8)
    net.eval()
    x = torch.randn(3, 96, 94)
    y = net(x)
    assert y.shape == (3, 7) and torch.all(torch.isfinite(y))
    assert net.multilabel
    # every parameter receives a gradient (no dead branch)
    net.train()
    net(x).sum().backward()
    for pname, p in net.named_parameters():
        assert p.grad is not None and torch.any(p.grad != 0), pname


@pytest.mark.parametrize("name", crnn.ARCHITECTURES)
def test_budget_argument_of_the_registry(name):
    net = models.create(name, n_classes=10, budget=100_000)
    assert abs(models.count_parameters(net) / 100_000 - 1) <= 0.05


@pytest.mark.parametrize("name", crnn.ARCHITECTURES)
def test_wrong_input_shape_is_a_clear_error(name):
    net = models.create(name, n_classes=4, width=4)
    with pytest.raises(ValueError, match=r"\(batch, n_mels=96, n_frames\)"):
        net(torch.randn(2, 40, 187))
    with pytest.raises(ValueError, match="n_mels"):
        net(torch.randn(96, 187))


def test_fit_pools():
    assert crnn.fit_pools(96, 5) == (2, 2, 2, 3, 4)          # 96 → 48 → 24 → 12 → 4 → 1
    assert crnn.fit_pools(187, 4, target=8) == (2, 2, 2, 2)   # 11 GRU steps
    for length in (20, 94, 129, 187, 1366):
        for n in (1, 4, 5):
            p = crnn.fit_pools(length, n)
            assert list(p) == sorted(p)
            out = length
            for q in p:
                out //= q
            assert out >= 1
            # no pool can grow by one without breaking the target or the order
            for i in range(n):
                bigger = list(p)
                bigger[i] += 1
                out2 = length
                for q in bigger:
                    out2 //= q
                assert out2 < 1 or bigger != sorted(bigger)
    with pytest.raises(ValueError):
        crnn.fit_pools(5, 2, target=6)


def test_crnn_follows_the_paper():
    net = crnn.CRNN(n_classes=50, n_mels=96, n_frames=1366, width=32)
    assert net.freq_pools == (2, 3, 4, 4)
    assert 10 <= net.n_steps <= 20                     # the paper's GRU saw 15 steps
    assert net.gru.num_layers == 2 and net.gru.hidden_size == 32
    drops = [m.p for m in net.features.modules() if isinstance(m, torch.nn.Dropout)]
    assert drops == [0.1] * 4
    assert any(isinstance(m, torch.nn.ELU) for m in net.modules())
    short = crnn.CRNN(n_classes=10, n_mels=96, n_frames=187, width=8)
    assert short.n_steps == 11
    with torch.no_grad():
        z = short.features(short.input_bn(torch.randn(2, 96, 187)).unsqueeze(1))
    assert z.shape == (2, 8, 1, 11)


def test_crnn_output_depends_on_the_order_of_time_steps():
    """The GRU summarises the sequence in order: reversing the input changes the output, whereas
    the global max of k2c2 over a time-reversal-symmetric stack would not care about order."""
    torch.manual_seed(0)
    net = crnn.CRNN(n_classes=3, n_mels=96, n_frames=187, width=8).eval()
    x = torch.randn(1, 96, 187)
    assert not torch.allclose(net(x), net(torch.flip(x, dims=[2])), atol=1e-4)


def test_k1c2_and_k2c1_see_the_whole_frequency_axis_at_once():
    k1 = crnn.K1C2(n_classes=2, width=5)
    k2 = crnn.K2C1(n_classes=2, width=5)
    assert k1.features[0][1].in_channels == 96          # mel bins are channels
    assert tuple(k2.first_kernel_2d().shape) == (5, 96, 4)   # 2-D kernels spanning all mel bins
    assert len(k2.features) == 5 and len(k1.features) == 4


@pytest.mark.parametrize("name", crnn.ARCHITECTURES)
def test_a_model_learns_a_simple_tagging_task(name):
    """Two tags that mark a bright band in the upper or lower half of the spectrogram."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    n = 32
    x = rng.normal(size=(n, 32, 24)).astype(np.float32)
    y = rng.integers(0, 2, size=(n, 2)).astype(np.float32)
    x[y[:, 0] == 1, 20:26] += 2.0
    x[y[:, 1] == 1, 4:10] += 2.0
    net = models.create(name, n_classes=2, n_mels=32, n_frames=24, width=8)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    X, Y = torch.tensor(x), torch.tensor(y)
    for _ in range(30):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(X), Y)
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        p = torch.sigmoid(net(X)).numpy()
    from mmteach.metrics import macro_roc_auc
    assert macro_roc_auc(y, p) > 0.95
