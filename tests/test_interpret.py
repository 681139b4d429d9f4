"""mmteach.interpret, part 1: MusiCNN's front end read from the real MSD_musicnn / MTT_musicnn weights.

The figures asserted here are what the checkpoints in the musicnn 0.1.0 wheel say (measured with
this module); where they differ from seed 000 (Sturm, "Digging into MusiCNN, pt. 9") the test
says so.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mmteach import checks
from mmteach import interpret as I

FIX = Path(__file__).parent / "fixtures" / "musicnn"


@pytest.fixture(scope="module")
def msd():
    from mmteach.pretrained import load_musicnn
    return load_musicnn("MSD_musicnn")


@pytest.fixture(scope="module")
def mtt():
    from mmteach.pretrained import load_musicnn
    return load_musicnn("MTT_musicnn")


@pytest.fixture(scope="module")
def clips() -> np.ndarray:
    """Six different 3-s patches (96, 187): the original's own input patches and rendered sounds."""
    from mmteach import audio

    logmel = np.load(FIX / "audio.npz")["logmel"].transpose(0, 2, 1)     # (n, 96, 187)
    rendered = [audio.musicnn_patches(audio.example_sound(n, 16000), 16000)[0] for n in ("piano", "drums", "band", "flute")]
    out = np.concatenate([logmel[:2], np.stack(rendered)]).astype(np.float32)
    assert out.shape[1:] == (96, 187) and len(out) == 6
    return out


# ------------------------------------------------------------------ without weights
def test_bn_affine_is_batch_norm_in_eval_mode():
    bn = torch.nn.BatchNorm1d(5, eps=1e-3).eval()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.5, -1.0, 2.0, 1.0, 0.0]))
        bn.bias.copy_(torch.tensor([0.1, 0.2, -0.3, 0.0, 1.0]))
        bn.running_mean.copy_(torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0]))
        bn.running_var.copy_(torch.tensor([0.25, 4.0, 0.01, 1.0, 2.0]))
    y = torch.randn(7, 5)
    scale, shift = I.bn_affine(bn.weight.detach(), bn.bias.detach(), bn.running_mean, bn.running_var)
    np.testing.assert_allclose(scale * y.numpy() + shift, bn(y).detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="non-negative"):
        I.bn_affine(1.0, 0.0, 0.0, -1.0)


def test_bn_affine_is_a_reference_answer():
    with pytest.raises(checks.ReferenceUsed):
        checks.call(lambda: I.bn_affine(1.0, 0.0, 0.0, 1.0))


def test_rank_kernels_orders_by_frobenius_norm_and_drops_zeros():
    k = np.zeros((5, 3, 2))
    k[1] = 1.0          # norm sqrt(6)
    k[3, 0, 0] = 5.0    # norm 5
    k[4, 2, 1] = -2.0   # norm 2
    order, norms = I.rank_kernels(k)
    assert order.tolist() == [3, 1, 4]
    np.testing.assert_allclose(norms, [5.0, np.sqrt(6), 2.0])
    order_all, _ = I.rank_kernels(k, live_tol=None)
    assert order_all.tolist() == [3, 1, 4, 0, 2]


def test_live_units_from_responses_uses_range_over_clips_and_time():
    U = np.zeros((3, 4, 10))
    U[:, 1] = 2.5                      # constant, not zero: still not live
    U[2, 2, 5] = 0.3                   # varies in one clip only
    U[:, 3] = np.linspace(0, 1, 10)    # varies in time
    assert I.live_units_from_responses(U).tolist() == [2, 3]
    assert I.live_units_from_responses(U, tol=0.5).tolist() == [3]
    with pytest.raises(ValueError, match="n_clips"):
        I.row_spread(np.zeros(5))


def test_tools_refuse_models_that_are_not_musicnn():
    with pytest.raises(TypeError, match="MusiCNN"):
        I.frontend_blocks(torch.nn.Linear(3, 3))


# ------------------------------------------------------------------ MSD_musicnn
def test_frontend_matrix_shape_and_blocks(msd, clips):
    fm = I.frontend_matrix(msd, clips[0])
    assert fm.U.shape == (561, 187)
    assert [(b.label, b.start, b.stop) for b in fm.blocks] == [
        ("38×7", 0, 204), ("67×7", 204, 408), ("1×128", 408, 459), ("1×64", 459, 510), ("1×32", 510, 561)]
    assert fm.block_of(12)[0].label == "38×7" and fm.block_of(12)[1] == 12
    assert fm.block_of(420) == (fm.blocks[2], 12)
    with pytest.raises(IndexError):
        fm.block_of(561)
    batch = I.frontend_matrix(msd, clips[:2])
    assert batch.U.shape == (2, 561, 187)
    np.testing.assert_allclose(batch.U[0], fm.U, atol=1e-5)
    with pytest.raises(ValueError, match="96"):
        I.frontend_matrix(msd, np.zeros((187, 96), np.float32))


def test_msd_has_62_live_front_end_units_by_weights_and_by_responses(msd, clips):
    """Seed 000: "499 [rows] are unrelated to the input ... The other 62 rows are related to the input"."""
    live_w = I.live_units_from_weights(msd)
    assert len(live_w) == 62
    U = I.frontend_matrix(msd, clips).U
    live_r = I.live_units_from_responses(U)
    assert live_r.tolist() == live_w.tolist()
    # per block (38×7, 67×7, 1×128, 1×64, 1×32): 22 non-trivial 38×7 kernels, as Sturm says
    per_block = [int(np.sum((live_w >= b.start) & (live_w < b.stop))) for b in I.frontend_blocks(msd)]
    assert per_block == [22, 14, 3, 6, 17]
    # the first non-trivial row from the bottom is unit 12 (0-based), as in seed 000
    assert live_w[0] == 12


def test_dead_rows_are_constant_over_different_clips(msd, clips):
    U = I.frontend_matrix(msd, clips).U                          # (6, 561, 187)
    live = I.live_units_from_weights(msd)
    dead = np.setdiff1d(np.arange(561), live)
    assert len(dead) == 499
    spread = I.row_spread(U)
    # rows of exactly zero kernels are exactly constant: scale * ReLU(bias) + shift, whatever the clip
    norms = I.kernel_norms(msd)
    zero = np.flatnonzero(norms < 1e-5)
    assert len(zero) >= 490
    assert spread[zero].max() < 1e-4
    for r in zero[:40]:
        u = I.unit(msd, int(r))
        assert abs(U[:, r] - u.scale * max(u.bias, 0.0) - u.shift).max() < 1e-4
    # ... and effectively zero; the few tiny non-zero kernels move their row by < 0.05,
    # while every live row moves by > 0.2
    assert np.abs(U[:, zero]).max() < 1e-3
    assert spread[dead].max() < I.LIVE_RESPONSE_TOL < 0.2 < spread[live].min()
    # the clips really differ: live rows differ between clips
    assert np.abs(U[0, live] - U[1, live]).max() > 1.0


def test_unit_12_numbers_from_the_msd_weights(msd):
    """Seed 000 gives bias -0.415 and batch norm '7.43 y - 3.28' for unit 12. The checkpoint says:
    bias -0.416 (-0.41581), scale 7.327, shift -3.279 with TF's eps 1e-3 (7.561 with eps 0):
    the shift and the bias agree, the scale does not come out as 7.43 under either eps."""
    u = I.unit(msd, 12)
    assert u.block.label == "38×7" and u.index == 12 and u.kernel.shape == (38, 7)
    assert round(u.bias, 3) == -0.416
    assert round(u.scale, 3) == 7.327
    assert round(u.shift, 3) == -3.279
    assert u.eps == pytest.approx(1e-3)
    assert u.gamma / np.sqrt(u.moving_var) == pytest.approx(7.561, abs=1e-3)
    # the kernel's range matches the seed's colour scale ("dark is high (0.38) and light is low (-0.2)")
    assert round(float(u.kernel.max()), 2) == 0.38 and round(float(u.kernel.min()), 1) == -0.2
    # "the 7th largest Frobenius norm of the 22 non-trivial filters having kernels of size 38×7"
    order, _ = I.rank_kernels(I.block_kernels(msd, "38x7"))
    assert len(order) == 22 and list(order).index(12) == 6
    assert "7.327" in u.bn_map and "3.279" in u.bn_map and u.scale > 0


@pytest.mark.parametrize("row", [12, 15, 218, 420, 462, 519, 0])
def test_unit_response_recomputes_the_row_of_U(msd, clips, row):
    fm = I.frontend_matrix(msd, clips[3])
    r = I.unit_response(msd, row, clips[3])
    b, _ = fm.block_of(row)
    assert r["correlation"].shape == (96 - b.freq_size + 1, 187)
    np.testing.assert_allclose(r["u"], fm.U[row], atol=1e-4)
    assert (r["Y"] >= 0).all()


def test_midend_views(msd, mtt):
    W = I.midend_input_weights(msd, 1)
    assert W.shape == (64, 561)
    assert I.midend_input_weights(msd, 3).shape == (64, 64)
    top = I.top_inputs(msd, 5, n=4)
    assert len(top) == 4 and top[0][2] >= top[-1][2] and "U row" in top[0][1]
    with pytest.raises(ValueError):
        I.midend_input_weights(msd, 4)
    # Sturm pt. 12: all 64 CNN_4 kernels non-trivial for MTT, all but one for MSD
    def n_live(model):
        w = model.midend.conv3.weight.detach().numpy()
        return int((np.sqrt((w ** 2).reshape(64, -1).sum(1)) > I.LIVE_WEIGHT_TOL).sum())
    assert n_live(msd) == 63 and n_live(mtt) == 64


def test_mtt_has_many_more_live_units(mtt, clips):
    live_w = I.live_units_from_weights(mtt)
    live_r = I.live_units_from_responses(I.frontend_matrix(mtt, clips).U)
    assert 180 <= len(live_r) <= 190 and 180 <= len(live_w) <= 210


def test_saliency_is_the_gradient_of_the_tag_logit(msd, clips):
    x = clips[0]
    s = I.saliency(msd, x, "rock")
    assert s.shape == (96, 187) and np.isfinite(s).all() and np.abs(s).max() > 0
    # finite difference on the bin with the largest gradient
    i, j = np.unravel_index(np.abs(s).argmax(), s.shape)
    k = msd.tags.index("rock")
    eps = 1e-2
    xp, xm = x.copy(), x.copy()
    xp[i, j] += eps
    xm[i, j] -= eps
    with torch.no_grad():
        fd = (msd(torch.from_numpy(xp)[None])[0, k] - msd(torch.from_numpy(xm)[None])[0, k]).item() / (2 * eps)
    assert fd == pytest.approx(float(s[i, j]), rel=0.1, abs=1e-4)
    with pytest.raises(ValueError, match="unknown tag"):
        I.saliency(msd, x, "no such tag")


def test_plots_and_explorer_run_headless(msd, clips):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fm = I.frontend_matrix(msd, clips[0])
    fm.plot()
    I.plot_unit(msd, 12, clips[0])
    I.plot_unit(msd, 519, clips[0])
    w = I.unit_explorer(msd, clips[0])
    assert w is not None and len(w.children[0].options) == 62
    plt.close("all")
