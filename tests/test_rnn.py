"""Tests of mmteach.rnn: hand-written BPTT against torch autograd, norms, clipping, GRU."""
import numpy as np
import pytest
import torch

from mmteach import checks, rnn


def _autograd(params, x, y, h0):
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    h0t = torch.tensor(h0, dtype=torch.float64, requires_grad=True)
    xt = torch.tensor(x, dtype=torch.float64)
    yt = torch.as_tensor(y)
    h = h0t
    loss = torch.zeros((), dtype=torch.float64)
    for t in range(xt.shape[0]):
        h = torch.tanh(P["b"] + h @ P["W"].T + xt[t] @ P["U"].T)
        logp = torch.log_softmax(P["c"] + h @ P["V"].T, dim=-1)
        loss = loss - logp.gather(-1, yt[t].reshape(*logp.shape[:-1], 1)).sum()
    loss.backward()
    grads = {k: P[k].grad.numpy() for k in P}
    grads["h0"] = h0t.grad.numpy()
    return float(loss.detach()), grads


@pytest.mark.parametrize("batch", [None, 3])
@pytest.mark.parametrize("T", [1, 2, 9])
def test_bptt_matches_autograd(batch, T):
    D, H, K = 4, 6, 5
    rng = np.random.default_rng(T + (batch or 0))
    params = rnn.init_params(D, H, K, seed=T, rho=1.3)
    params["b"] = rng.normal(size=H) * 0.3   # non-zero biases so their gradients are exercised
    params["c"] = rng.normal(size=K) * 0.3
    shape = (T, D) if batch is None else (T, batch, D)
    x = rng.normal(size=shape)
    y = rng.integers(0, K, size=shape[:-1])
    h0 = rng.normal(size=(H,) if batch is None else (batch, H)) * 0.5
    loss, grads = rnn.rnn_loss_and_grads(params, x, y, h0)
    ref_loss, ref = _autograd(params, x, y, h0)
    assert abs(loss - ref_loss) < 1e-9
    assert set(grads) == {"U", "W", "V", "b", "c", "h0"}
    for k in grads:
        assert grads[k].shape == ref[k].shape, k
        np.testing.assert_allclose(grads[k], ref[k], atol=1e-6, rtol=0, err_msg=k)
        assert np.max(np.abs(grads[k] - ref[k])) < 1e-10, k


def test_bptt_detects_a_wrong_gradient():
    """The comparison is sharp: dropping the recurrent term changes ∇W by far more than 1e-6."""
    D, H, K, T = 3, 4, 3, 6
    rng = np.random.default_rng(1)
    params = rnn.init_params(D, H, K, seed=2, rho=1.0)
    x, y = rng.normal(size=(T, D)), rng.integers(0, K, size=T)
    cache = rnn.rnn_forward(params, x)
    dO = rnn.output_grad(cache.y_hat, y)
    # truncated BPTT (one step back only): what a learner gets when they forget Wᵀ∇a(t+1)
    da = (1 - cache.h ** 2) * (dO @ params["V"])
    h_prev = np.concatenate([cache.h0[None], cache.h[:-1]])
    dW_truncated = np.einsum("tbi,tbj->ij", da, h_prev)
    _, ref = _autograd(params, x, y, np.zeros(H))
    assert np.max(np.abs(dW_truncated - ref["W"])) > 1e-3


def test_forward_shapes_and_loss():
    params = rnn.init_params(3, 5, 4, seed=0)
    x = np.random.default_rng(0).normal(size=(7, 3))
    cache = rnn.rnn_forward(params, x)
    assert cache.h.shape == (7, 1, 5) and cache.y_hat.shape == (7, 1, 4)
    assert cache.squeezed("h").shape == (7, 5) and cache.squeezed("h0").shape == (5,)
    np.testing.assert_allclose(cache.y_hat.sum(-1), 1.0)
    # h(1) by hand
    np.testing.assert_allclose(cache.h[0, 0], np.tanh(params["U"] @ x[0] + params["b"]))
    y = np.array([0, 1, 2, 3, 0, 1, 2])
    expected = -sum(np.log(cache.y_hat[t, 0, y[t]]) for t in range(7))
    assert rnn.sequence_loss(cache.squeezed("y_hat"), y) == pytest.approx(expected, rel=1e-12)


def test_output_grad_is_softmax_minus_onehot():
    y_hat = rnn.softmax(np.random.default_rng(0).normal(size=(4, 3)))
    y = np.array([2, 0, 1, 2])
    g = rnn.output_grad(y_hat, y)
    expected = y_hat - np.eye(3)[y]
    np.testing.assert_allclose(g, expected)
    np.testing.assert_allclose(g.sum(-1), 0, atol=1e-12)


def test_grad_V_c_matches_einsum():
    rng = np.random.default_rng(3)
    h, dO = rng.normal(size=(5, 2, 4)), rng.normal(size=(5, 2, 3))
    dV, dc = rnn.grad_V_c(h, dO)
    np.testing.assert_allclose(dV, np.einsum("tbk,tbh->kh", dO, h))
    np.testing.assert_allclose(dc, dO.sum((0, 1)))


def test_bad_inputs_raise_clear_errors():
    params = rnn.init_params(3, 4, 2)
    with pytest.raises(ValueError, match="features per step"):
        rnn.rnn_forward(params, np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"\(T, D\) or \(T, B, D\)"):
        rnn.rnn_forward(params, np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        rnn.rnn_forward(params, np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="class indices in 0..1"):
        rnn.sequence_loss(np.full((3, 2), 0.5), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="integer"):
        rnn.sequence_loss(np.full((3, 2), 0.5), np.array([0.5, 1, 0]))
    with pytest.raises(ValueError, match="missing"):
        rnn.rnn_forward({"U": params["U"]}, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="h0 must have shape"):
        rnn.rnn_forward(params, np.zeros((2, 3)), h0=np.zeros(3))


def test_training_with_hand_bptt_lowers_the_loss():
    rng = np.random.default_rng(0)
    melodies = rnn.aaba_melodies(64, seed=0)
    x = np.eye(8)[melodies[:, :-1]].transpose(1, 0, 2)   # (T, B, 8)
    y = melodies[:, 1:].T
    params = rnn.init_params(8, 16, 8, seed=0)
    first, _ = rnn.rnn_loss_and_grads(params, x, y)
    for _ in range(60):
        loss, g = rnn.rnn_loss_and_grads(params, x, y)
        g, _ = rnn.clip_by_norm({k: g[k] for k in rnn.PARAM_NAMES}, 50.0)
        for k in rnn.PARAM_NAMES:
            params[k] -= 0.01 * g[k]
    assert loss < 0.8 * first
    del rng


# --------------------------------------------------------------------------- norms through time

def test_linear_jacobian_norms_follow_the_spectral_radius():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(8, 8)))   # orthogonal: every singular value 1
    for rho in (0.5, 1.0, 1.5):
        norms = rnn.hidden_jacobian_norms(rho * Q, linear=True, T=10, ord=2)
        np.testing.assert_allclose(norms, rho ** (10 - np.arange(11)), rtol=1e-9)


def test_tanh_jacobian_norms_match_autograd():
    params = rnn.init_params(3, 5, 2, seed=4, rho=1.2)
    x = np.random.default_rng(4).normal(size=(6, 3))
    cache = rnn.rnn_forward(params, x)
    norms = rnn.hidden_jacobian_norms(params["W"], cache.squeezed("h"))
    Wt, Ut, bt = (torch.tensor(params[k]) for k in ("W", "U", "b"))
    xt = torch.tensor(x)
    for t0 in range(7):
        h_t = torch.tensor(cache.h0[0] if t0 == 0 else cache.h[t0 - 1, 0])

        def run(h):
            for t in range(t0, 6):
                h = torch.tanh(bt + Wt @ h + Ut @ xt[t])
            return h

        J = torch.autograd.functional.jacobian(run, h_t).numpy()
        assert norms[t0] == pytest.approx(np.linalg.norm(J), rel=1e-9)


def test_vanishing_and_exploding():
    W = rnn.init_params(2, 16, 2, seed=0)["W"]
    small = rnn.hidden_jacobian_norms(rnn.scale_to_spectral_radius(W, 0.5), linear=True, T=30)
    big = rnn.hidden_jacobian_norms(rnn.scale_to_spectral_radius(W, 1.5), linear=True, T=30)
    assert small[0] < 1e-6 * small[-1]
    assert big[0] > 1e3 * big[-1]


def test_spectral_radius_scaling():
    W = np.random.default_rng(0).normal(size=(6, 6))
    assert rnn.spectral_radius(rnn.scale_to_spectral_radius(W, 0.9)) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="square"):
        rnn.spectral_radius(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        rnn.scale_to_spectral_radius(W, -1)


# --------------------------------------------------------------------------- clipping

def test_clip_by_norm_matches_torch():
    rng = np.random.default_rng(0)
    grads = {"a": rng.normal(size=(3, 4)) * 10, "b": rng.normal(size=5) * 10}
    tensors = [torch.tensor(v, requires_grad=True) for v in grads.values()]
    for t, v in zip(tensors, grads.values()):
        t.grad = torch.tensor(v)
    total = torch.nn.utils.clip_grad_norm_(tensors, max_norm=2.0)
    clipped, norm = rnn.clip_by_norm(grads, 2.0)
    assert norm == pytest.approx(float(total), rel=1e-12)
    for t, k in zip(tensors, grads):
        np.testing.assert_allclose(clipped[k], t.grad.numpy(), rtol=1e-9)
    assert rnn.global_norm(clipped) == pytest.approx(2.0, rel=1e-6)


def test_clip_leaves_small_gradients_alone():
    grads = {"a": np.array([0.3, 0.4])}
    clipped, norm = rnn.clip_by_norm(grads, 1.0)
    assert norm == pytest.approx(0.5)
    np.testing.assert_array_equal(clipped["a"], grads["a"])
    with pytest.raises(ValueError, match="positive"):
        rnn.clip_by_norm(grads, 0)


# --------------------------------------------------------------------------- GRU

@pytest.mark.parametrize("batched", [True, False])
def test_gru_cell_matches_torch(batched):
    torch.manual_seed(0)
    cell = torch.nn.GRUCell(5, 7).double()
    p = rnn.gru_params_from_torch(cell)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5) if batched else 5)
    h = rng.normal(size=(3, 7) if batched else 7)
    ours = rnn.gru_cell(x, h, **p)
    theirs = cell(torch.tensor(x), torch.tensor(h)).detach().numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_gru_forward_matches_torch_gru():
    torch.manual_seed(1)
    gru = torch.nn.GRU(4, 6).double()
    p = rnn.gru_params_from_torch(gru)
    x = np.random.default_rng(1).normal(size=(8, 2, 4))
    h0 = np.zeros((2, 6))
    ours = rnn.gru_forward(x, h0, **p)
    theirs, _ = gru(torch.tensor(x), torch.tensor(h0[None]))
    np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=1e-12)


def test_gru_rejects_wrong_shapes():
    cell = torch.nn.GRUCell(5, 7).double()
    p = rnn.gru_params_from_torch(cell)
    with pytest.raises(ValueError, match="do not match"):
        rnn.gru_cell(np.zeros(4), np.zeros(7), **p)


def test_sigmoid_is_stable():
    z = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    s = rnn.sigmoid(z)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s, torch.sigmoid(torch.tensor(z)).numpy())


# --------------------------------------------------------------------------- melodies

def test_aaba_melodies_have_the_form():
    m = rnn.aaba_melodies(20, phrase=4, seed=3)
    assert m.shape == (20, 16) and m.min() >= 0 and m.max() < 8
    np.testing.assert_array_equal(m[:, 0:4], m[:, 4:8])
    np.testing.assert_array_equal(m[:, 0:4], m[:, 12:16])
    assert not np.any(np.all(m[:, 0:4] == m[:, 8:12], axis=1))
    np.testing.assert_array_equal(m, rnn.aaba_melodies(20, phrase=4, seed=3))


def test_bigram_baseline_is_below_what_memory_allows():
    train, test = rnn.aaba_melodies(500, seed=0), rnn.aaba_melodies(200, seed=1)
    acc = rnn.bigram_accuracy(train, test)
    assert 0.1 < acc < 0.5


def test_references_are_blocked_during_own_work():
    with checks.own_work():
        with pytest.raises(checks.ReferenceUsed):
            rnn.bptt(rnn.init_params(1, 1, 1), None, np.zeros(1, int))


def test_training_helpers_learn_the_repeats():
    train, test = rnn.aaba_melodies(300, seed=0), rnn.aaba_melodies(100, seed=1)
    x, y = rnn.melody_xy(test)
    assert x.shape == (15, 100, 8) and y.shape == (15, 100)
    params, log = rnn.train_numpy_rnn(train, n_hidden=16, steps=250, seed=0)
    acc = rnn.position_accuracy(rnn.rnn_forward(params, x).y_hat, y)
    assert acc.shape == (15,)
    assert acc[4:7].mean() > 0.6 > acc[8:11].mean()   # notes 6-8 repeat notes 2-4; B cannot be predicted
    assert log.loss[-1] < log.loss[0] and len(log.grad_norm) == 250
    model, tlog = rnn.train_torch_rnn(train, "GRU", n_hidden=16, steps=150)
    probs = model.predict(x)
    assert probs.shape == (15, 100, 8)
    np.testing.assert_allclose(probs.sum(-1), 1, atol=1e-5)
    norms = rnn.torch_state_jacobian_norms(model, x[:, 0])
    assert norms.shape == (15,) and norms[-1] == pytest.approx(4.0, rel=1e-5)   # ‖I_16‖_F = 4
    assert torch.get_num_threads() >= 1


def test_melody_audio():
    a = rnn.melody_audio([0, 7], sr=8000, note_s=0.5)
    assert a.shape == (8000,) and a.dtype == np.float32 and np.abs(a).max() < 1
    # the second note (C5) has twice the fundamental of the first (C4): count zero crossings
    first, second = a[:4000], a[4000:]
    zc = lambda s: np.sum(np.diff(np.signbit(s)) != 0)  # noqa: E731
    assert 1.6 < zc(second) / zc(first) < 2.4
