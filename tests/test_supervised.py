import numpy as np
import pytest
import torch

from mmteach import supervised as sl


def test_softmax_is_stable_and_normalised():
    p = sl.softmax(np.array([[1000.0, 1001.0, 999.0], [0.0, 0.0, 0.0]]))
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1) and np.allclose(p[1], 1 / 3)
    assert np.allclose(sl.softmax(np.array([1.0, 2.0])), torch.softmax(torch.tensor([1.0, 2.0]), 0).numpy())


def test_cross_entropy_and_its_gradient_match_torch():
    rng = np.random.default_rng(0)
    z, y = rng.normal(scale=5, size=(8, 5)), rng.integers(0, 5, size=8)
    zt = torch.tensor(z, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(zt, torch.tensor(y))
    loss.backward()
    assert abs(sl.cross_entropy(z, y) - loss.item()) < 1e-12
    assert np.allclose(sl.cross_entropy_grad(z, y), zt.grad.numpy(), atol=1e-12)
    assert np.isfinite(sl.cross_entropy(np.array([[1e4, -1e4]]), np.array([1])))


@pytest.mark.parametrize("z, y, err", [
    (np.zeros((2, 3)), np.array([0, 3]), ValueError),
    (np.zeros((2, 3)), np.array([0.0, 1.0]), TypeError),
    (np.zeros((2, 3)), np.array([0]), ValueError),
    (np.array([[np.nan, 0.0]]), np.array([0]), ValueError),
    (np.zeros((2, 0)), np.array([0, 0]), ValueError),
])
def test_bad_input_is_explained(z, y, err):
    with pytest.raises(err):
        sl.cross_entropy(z, y)


def test_gradient_descent_lowers_the_cost():
    d = sl.make_timbre_data(20, seed=1)
    X = sl.standardise(d.X)[0]
    W, b, losses = sl.train_softmax_regression(X, d.y, 4, lr=0.5, epochs=50)
    assert losses[-1] < 0.5 * losses[0]
    assert sl.accuracy(d.y, (X @ W + b).argmax(1)) > 0.7


def test_split_indices_is_a_partition():
    tr, va, te = sl.split_indices(103, (0.7, 0.2, 0.1), seed=4)
    assert (len(tr), len(va)) == (72, 20)
    assert sorted(np.concatenate([tr, va, te])) == list(range(103))
    with pytest.raises(ValueError):
        sl.split_indices(10, (0.5, 0.6, 0.1))


def test_timbre_data_is_deterministic_and_learnable():
    a, b = sl.make_timbre_data(10, seed=2), sl.make_timbre_data(10, seed=2)
    assert np.array_equal(a.X, b.X) and a.X.shape == (40, 22) and np.bincount(a.y).tolist() == [10] * 4
    note = a.note(0)
    assert note.dtype == np.float32 and np.abs(note).max() <= 1.0
    with pytest.raises(ValueError, match="timbre must be one of"):
        sl.synth_note("kazoo")
    with pytest.raises(ValueError, match="at least 1024"):
        sl.timbre_features(np.zeros(10, dtype=np.float32))


def test_mlp_trains_above_chance():
    d = sl.make_timbre_data(30, seed=0)
    tr, va, _ = sl.split_indices(len(d), seed=0)
    Xtr, Xva = sl.standardise(d.X[tr], d.X[va])
    net = sl.make_mlp(22, 32, 4)
    assert sum(p.numel() for p in net.parameters()) == 22 * 32 + 32 + 32 * 4 + 4
    hist = sl.train_mlp(net, Xtr, d.y[tr], Xva, d.y[va], epochs=30, show_progress=False)
    assert hist.train_loss[-1] < hist.train_loss[0] and hist.val_acc[-1] > 0.6
    cm = sl.confusion_matrix(d.y[va], sl.predict_classes(net, Xva), 4)
    assert cm.sum() == len(va)
