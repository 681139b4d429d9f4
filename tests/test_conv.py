"""mmteach.conv: loop implementations against torch, numpy and scipy."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from mmteach import checks, conv

RNG = np.random.default_rng(1234)


def _t(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def torch_corr1d(x, w, padding=0, stride=1) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about 'same' with even kernels
        return F.conv1d(_t(x)[None, None], _t(w)[None, None], padding=padding, stride=stride)[0, 0].numpy()


def torch_corr2d(x, w, padding=0, stride=1) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return F.conv2d(_t(x)[None, None], _t(w)[None, None], padding=padding, stride=stride)[0, 0].numpy()


# ----------------------------------------------------------------------------- output sizes

@pytest.mark.parametrize("M,m,p,s", [(10, 3, 0, 1), (10, 4, 0, 1), (80, 60, 0, 1), (40, 32, 0, 1),
                                     (10, 3, 1, 1), (10, 4, 2, 3), (7, 7, 0, 1), (11, 2, 0, 2), (5, 6, 1, 1)])
def test_output_length_matches_torch(M, m, p, s):
    got = conv.output_length(M, m, p, s)
    assert got == math.floor((M + 2 * p - m) / s) + 1
    assert got == torch_corr1d(np.ones(M), np.ones(m), p, s).shape[0]


def test_output_length_textbook_cases():
    assert conv.output_length(80, 60) == 21          # Pons' Time filter: N' = 80 - 60 + 1
    assert conv.output_length(40, 32) == 9           # Frequency filter: M' = 40 - 32 + 1
    assert conv.output_length(96, 38) == 59          # MusiCNN timbral filter (seed 000)
    assert conv.output_length(10, 3, "full") == 12
    assert conv.output_length(10, 4, "same") == 10
    assert conv.output_length(10, 4, "same", stride=3) == 4   # ceil(10 / 3)
    assert conv.output_length(10, 3, (2, 0)) == 10


def test_output_length_rejects_kernel_longer_than_signal():
    with pytest.raises(ValueError, match="longer than the padded signal"):
        conv.output_length(5, 6)
    with pytest.raises(ValueError, match="stride"):
        conv.output_length(5, 2, stride=0)
    with pytest.raises(TypeError):
        conv.output_length(5.5, 2)
    with pytest.raises(ValueError, match="not known"):
        conv.output_length(5, 2, "sane")


@pytest.mark.parametrize("M,m,s", [(10, 1, 1), (10, 2, 1), (10, 3, 1), (10, 4, 1), (10, 5, 1), (9, 4, 2),
                                   (10, 4, 3), (187, 128, 1), (187, 64, 1), (3, 7, 1)])
def test_same_padding_is_tensorflows_split(M, m, s):
    before, after = conv.same_padding(M, m, s)
    total = max((math.ceil(M / s) - 1) * s + m - M, 0)
    assert (before, after) == (total // 2, total - total // 2)
    assert after - before in (0, 1)                  # the odd extra zero goes at the end
    assert conv.output_length(M, m, "same", s) == math.ceil(M / s)


def test_same_padding_for_musicnn_temporal_filters():
    # model_specs §1.2: 128 → 63 before / 64 after, 64 → 31/32, 32 → 15/16
    assert conv.same_padding(187, 128) == (63, 64)
    assert conv.same_padding(187, 64) == (31, 32)
    assert conv.same_padding(187, 32) == (15, 16)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 8])
def test_same_padding_equals_torch_same(m):
    x, w = RNG.standard_normal(13), RNG.standard_normal(m)
    np.testing.assert_allclose(conv.correlate1d(x, w, "same"), torch_corr1d(x, w, "same"), atol=1e-12)


def test_output_shape_2d():
    assert conv.output_shape((40, 80), (12, 8)) == (29, 73)
    assert conv.output_shape((40, 80), (1, 60)) == (40, 21)
    assert conv.output_shape((40, 80), (32, 1)) == (9, 80)
    assert conv.output_shape((40, 80), (3, 4), "same") == (40, 80)
    assert conv.output_shape((40, 80), (3, 4), padding=(1, 2), stride=(2, 3)) == (20, 27)
    assert conv.output_shape((96, 187), (38, 7), padding=(0, 3)) == (59, 187)


# ----------------------------------------------------------------------------- 1-D

@pytest.mark.parametrize("M,m", [(10, 1), (10, 2), (10, 3), (10, 4), (10, 10), (25, 7), (6, 6)])
def test_convolve1d_matches_numpy_valid_and_full(M, m):
    x, w = RNG.standard_normal(M), RNG.standard_normal(m)
    np.testing.assert_allclose(conv.convolve1d(x, w), np.convolve(x, w, "valid"), atol=1e-12)
    np.testing.assert_allclose(conv.convolve1d(x, w, "full"), np.convolve(x, w, "full"), atol=1e-12)
    np.testing.assert_allclose(conv.convolve1d(x, w, "full"), scipy.signal.convolve(x, w, "full"), atol=1e-12)
    assert conv.convolve1d(x, w).shape == (M - m + 1,)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 6])
def test_numpy_same_is_centred_differently_for_even_kernels(m):
    x, w = RNG.standard_normal(12), RNG.standard_normal(m)
    numpy_same = np.convolve(x, w, "same")
    # numpy puts the extra zero before; as documented, padding (m // 2, m // 2 - 1) reproduces it
    np.testing.assert_allclose(conv.convolve1d(x, w, (m // 2, (m - 1) - m // 2)), numpy_same, atol=1e-12)
    ours = conv.convolve1d(x, w, "same")
    if m % 2:
        np.testing.assert_allclose(ours, numpy_same, atol=1e-12)
    else:
        assert not np.allclose(ours, numpy_same)


@pytest.mark.parametrize("M,m,padding,stride", [(10, 3, "valid", 1), (10, 4, "valid", 2), (11, 4, "same", 1),
                                                (11, 3, 2, 3), (9, 5, "full", 1), (9, 2, (3, 0), 2),
                                                (12, 12, 0, 1), (8, 3, "same", 2)])
def test_correlate1d_matches_torch(M, m, padding, stride):
    x, w = RNG.standard_normal(M), RNG.standard_normal(m)
    if isinstance(padding, tuple):
        expected = torch_corr1d(np.pad(x, padding), w, 0, stride)
    elif padding == "full":
        expected = torch_corr1d(x, w, m - 1, stride)
    elif padding == "same" and stride > 1:   # torch refuses 'same' with stride; pad by hand
        expected = torch_corr1d(np.pad(x, conv.same_padding(M, m, stride)), w, 0, stride)
    else:
        expected = torch_corr1d(x, w, padding, stride)
    np.testing.assert_allclose(conv.correlate1d(x, w, padding, stride), expected, atol=1e-12)
    np.testing.assert_allclose(
        conv.correlate1d(x, w, "valid"), scipy.signal.correlate(x, w, "valid"), atol=1e-12)


@pytest.mark.parametrize("padding", ["valid", "same", "full", 1, (0, 3)])
@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_convolution_is_correlation_with_flipped_kernel(padding, m):
    x, w = RNG.standard_normal(11), RNG.standard_normal(m)
    np.testing.assert_allclose(conv.convolve1d(x, w, padding), conv.correlate1d(x, conv.flip_kernel(w), padding),
                               atol=1e-12)
    if m > 1 and not np.allclose(w, w[::-1]):
        assert not np.allclose(conv.convolve1d(x, w), conv.correlate1d(x, w))


def test_convolve1d_with_stride_subsamples_the_unstrided_output():
    x, w = RNG.standard_normal(30), RNG.standard_normal(5)
    np.testing.assert_allclose(conv.convolve1d(x, w, stride=3), conv.convolve1d(x, w)[::3], atol=1e-12)
    np.testing.assert_allclose(conv.correlate1d(x, w, "full", 4), conv.correlate1d(x, w, "full")[::4], atol=1e-12)


def test_convolve1d_torch_is_a_true_convolution():
    for m in (1, 2, 3, 6):
        x, w = RNG.standard_normal(15), RNG.standard_normal(m)
        got = conv.convolve1d_torch(x, w)
        assert isinstance(got, torch.Tensor)
        np.testing.assert_allclose(got.numpy(), np.convolve(x, w, "valid"), atol=1e-12)
    with pytest.raises(ValueError, match="longer"):
        conv.convolve1d_torch(np.ones(3), np.ones(4))


def test_convolution_is_commutative_and_delta_is_identity():
    x, w = RNG.standard_normal(9), RNG.standard_normal(4)
    np.testing.assert_allclose(conv.convolve1d(x, w, "full"), conv.convolve1d(w, x, "full"), atol=1e-12)
    delta = np.array([1.0])
    np.testing.assert_allclose(conv.convolve1d(x, delta), x)
    shift = np.array([0.0, 1.0])  # convolving with a delayed delta delays the signal
    np.testing.assert_allclose(conv.convolve1d(x, shift, "full")[1:], x)


@settings(max_examples=40, deadline=None)
@given(M=st.integers(1, 20), m=st.integers(1, 20), p=st.integers(0, 4), s=st.integers(1, 4),
       seed=st.integers(0, 10_000))
def test_correlate1d_matches_torch_property(M, m, p, s, seed):
    if M + 2 * p < m:
        with pytest.raises(ValueError):
            conv.correlate1d(np.ones(M), np.ones(m), p, s)
        return
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(M), rng.standard_normal(m)
    np.testing.assert_allclose(conv.correlate1d(x, w, p, s), torch_corr1d(x, w, p, s), atol=1e-10)
    np.testing.assert_allclose(conv.convolve1d(x, w, p, s), torch_corr1d(x, w[::-1].copy(), p, s), atol=1e-10)


def test_1d_bad_input_gets_clear_errors():
    with pytest.raises(ValueError, match="longer than the padded signal"):
        conv.convolve1d(np.ones(3), np.ones(5))
    with pytest.raises(ValueError, match="1 dimension"):
        conv.convolve1d(np.ones((3, 3)), np.ones(2))
    with pytest.raises(ValueError, match="1 dimension"):
        conv.correlate1d(np.ones(5), np.ones((1, 2)))
    with pytest.raises(ValueError, match="non-finite"):
        conv.correlate1d(np.array([1.0, np.nan, 2.0]), np.ones(2))
    with pytest.raises(ValueError, match="non-finite"):
        conv.convolve1d(np.ones(4), np.array([np.inf, 1.0]))
    with pytest.raises(ValueError, match="empty"):
        conv.convolve1d(np.ones(4), np.array([]))
    with pytest.raises(TypeError, match="numbers"):
        conv.convolve1d(["a", "b"], np.ones(1))
    with pytest.raises(TypeError):
        conv.convolve1d("abc", np.ones(1))
    with pytest.raises(ValueError, match="stride"):
        conv.correlate1d(np.ones(4), np.ones(2), stride=0)
    with pytest.raises(ValueError, match="padding"):
        conv.correlate1d(np.ones(4), np.ones(2), padding=-1)


def test_accepts_lists_ints_and_tensors():
    np.testing.assert_allclose(conv.convolve1d([1, 2, 3], [1, 1]), [3, 5])
    np.testing.assert_allclose(conv.correlate1d(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0])), [-1, -1])


# ----------------------------------------------------------------------------- 2-D

@pytest.mark.parametrize("shape,kshape,padding,stride", [
    ((9, 11), (3, 3), "valid", 1), ((9, 11), (3, 4), "valid", 1), ((9, 11), (1, 5), 0, 1),
    ((9, 11), (4, 1), 0, 1), ((9, 11), (3, 4), "same", 1), ((9, 11), (2, 3), (1, 2), (2, 3)),
    ((8, 8), (8, 8), 0, 1), ((10, 12), (3, 5), 2, 2), ((7, 9), (2, 2), "same", 1),
])
def test_correlate2d_matches_torch(shape, kshape, padding, stride):
    x, w = RNG.standard_normal(shape), RNG.standard_normal(kshape)
    np.testing.assert_allclose(conv.correlate2d(x, w, padding, stride), torch_corr2d(x, w, padding, stride),
                               atol=1e-12)


@pytest.mark.parametrize("kshape", [(1, 1), (3, 3), (2, 5), (4, 1), (1, 6)])
def test_convolve2d_matches_scipy(kshape):
    x, w = RNG.standard_normal((9, 12)), RNG.standard_normal(kshape)
    np.testing.assert_allclose(conv.convolve2d(x, w), scipy.signal.convolve2d(x, w, "valid"), atol=1e-12)
    np.testing.assert_allclose(conv.convolve2d(x, w, "full"), scipy.signal.convolve2d(x, w, "full"), atol=1e-12)
    np.testing.assert_allclose(conv.correlate2d(x, w), scipy.signal.correlate2d(x, w, "valid"), atol=1e-12)
    np.testing.assert_allclose(conv.convolve2d(x, w), conv.correlate2d(x, conv.flip_kernel(w)), atol=1e-12)


def test_2d_mixed_padding_per_axis():
    x, w = RNG.standard_normal((6, 20)), RNG.standard_normal((6, 5))
    # valid in frequency, same in time: the MusiCNN timbral-filter layout
    out = conv.correlate2d(x, w, padding=("valid", "same"))
    assert out.shape == (1, 20)
    expected = torch_corr2d(np.pad(x, ((0, 0), (2, 2))), w)
    np.testing.assert_allclose(out, expected, atol=1e-12)
    out = conv.correlate2d(x, w, padding=((1, 0), (0, 3)))
    np.testing.assert_allclose(out, torch_corr2d(np.pad(x, ((1, 0), (0, 3))), w), atol=1e-12)


def test_temporal_and_frequency_filters_give_pons_feature_map_sizes():
    spec = RNG.standard_normal((40, 80))
    assert conv.correlate2d(spec, RNG.standard_normal((1, 60))).shape == (40, 21)
    assert conv.correlate2d(spec, RNG.standard_normal((32, 1))).shape == (9, 80)
    assert conv.correlate2d(spec, RNG.standard_normal((12, 8))).shape == (29, 73)


def test_2d_bad_input():
    with pytest.raises(ValueError, match="2 dimension"):
        conv.correlate2d(np.ones(5), np.ones((2, 2)))
    with pytest.raises(ValueError, match="longer than the padded signal"):
        conv.correlate2d(np.ones((5, 5)), np.ones((6, 2)))
    with pytest.raises(ValueError, match="non-finite"):
        conv.convolve2d(np.full((3, 3), np.nan), np.ones((2, 2)))
    with pytest.raises(ValueError, match="pair"):
        conv.correlate2d(np.ones((5, 5)), np.ones((2, 2)), stride=(1, 2, 3))


# ----------------------------------------------------------------------------- framework-style layers

@pytest.mark.parametrize("batch", [None, 3])
@pytest.mark.parametrize("padding,stride", [(0, 1), (2, 2), ("same", 1)])
def test_conv1d_layer_matches_torch(batch, padding, stride):
    shape = (4, 17) if batch is None else (batch, 4, 17)
    x, w, b = RNG.standard_normal(shape), RNG.standard_normal((5, 4, 4)), RNG.standard_normal(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = F.conv1d(_t(x), _t(w), _t(b), stride=stride, padding=padding).numpy()
    np.testing.assert_allclose(conv.conv1d(x, w, b, stride, padding), expected, atol=1e-10)


@pytest.mark.parametrize("batch", [None, 2])
@pytest.mark.parametrize("kshape,padding,stride", [((3, 3), 0, 1), ((2, 5), 1, (2, 1)), ((4, 1), "same", 1),
                                                   ((1, 6), (0, 2), (1, 3))])
def test_conv2d_layer_matches_torch(batch, kshape, padding, stride):
    shape = (3, 10, 13) if batch is None else (batch, 3, 10, 13)
    x, w, b = RNG.standard_normal(shape), RNG.standard_normal((4, 3) + kshape), RNG.standard_normal(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = F.conv2d(_t(x), _t(w), _t(b), stride=stride, padding=padding).numpy()
    np.testing.assert_allclose(conv.conv2d(x, w, b, stride, padding), expected, atol=1e-10)
    np.testing.assert_allclose(conv.conv2d(x, w, None, stride, padding), expected - b.reshape(-1, 1, 1), atol=1e-10)


def test_layers_reject_channel_mismatch():
    with pytest.raises(ValueError, match="channels"):
        conv.conv2d(np.ones((2, 5, 5)), np.ones((3, 1, 2, 2)))
    with pytest.raises(ValueError, match="bias"):
        conv.conv1d(np.ones((1, 5)), np.ones((3, 1, 2)), bias=np.ones(2))
    with pytest.raises(ValueError, match="dimension"):
        conv.conv2d(np.ones((5, 5)), np.ones((3, 1, 2, 2)))


def test_flip_kernel_for_framework_weights():
    w = RNG.standard_normal((2, 3, 4, 5))
    flipped = conv.flip_kernel(w, axes=2)
    np.testing.assert_array_equal(flipped, w[:, :, ::-1, ::-1])
    np.testing.assert_array_equal(conv.flip_kernel(np.arange(4)), [3, 2, 1, 0])
    with pytest.raises(ValueError):
        conv.flip_kernel(np.ones(3), axes=2)


# ----------------------------------------------------------------------------- pooling

@pytest.mark.parametrize("size,stride", [((2, 2), None), ((3, 2), None), ((2, 3), (1, 2)), ((40, 1), None),
                                         ((1, 80), None), (3, 2), ((2, 2), (3, 3)), ((4, 1), (4, 1))])
def test_pool2d_matches_torch(size, stride):
    x = RNG.standard_normal((2, 40, 80))
    expected_max = F.max_pool2d(_t(x), size, stride).numpy()
    expected_avg = F.avg_pool2d(_t(x), size, stride).numpy()
    np.testing.assert_allclose(conv.max_pool2d(x, size, stride), expected_max, atol=1e-12)
    np.testing.assert_allclose(conv.avg_pool2d(x, size, stride), expected_avg, atol=1e-12)
    np.testing.assert_allclose(conv.max_pool2d(x[0], size, stride), expected_max[0], atol=1e-12)


@pytest.mark.parametrize("size,stride", [(2, None), (3, None), (3, 1), (2, 3), (7, 7)])
def test_pool1d_matches_torch(size, stride):
    x = RNG.standard_normal((3, 23))
    np.testing.assert_allclose(conv.max_pool1d(x, size, stride), F.max_pool1d(_t(x), size, stride).numpy())
    np.testing.assert_allclose(conv.avg_pool1d(x, size, stride), F.avg_pool1d(_t(x), size, stride).numpy())
    np.testing.assert_allclose(conv.max_pool1d(x[1], size, stride), F.max_pool1d(_t(x[1:2]), size, stride)[0].numpy())


def test_global_max_pool_is_shift_invariant_local_is_not_exactly():
    x = np.zeros(40)
    x[10] = 1.0
    shifted = np.roll(x, 3)
    assert conv.max_pool1d(x, 40)[0] == conv.max_pool1d(shifted, 40)[0] == 1.0
    assert not np.array_equal(conv.max_pool1d(x, 4), conv.max_pool1d(shifted, 4))


def test_pool_bad_input():
    with pytest.raises(ValueError, match="does not fit"):
        conv.max_pool2d(np.ones((3, 3)), (4, 1))
    with pytest.raises(ValueError, match="longer than the input"):
        conv.avg_pool1d(np.ones(3), 4)
    with pytest.raises(ValueError, match="dimension"):
        conv.max_pool2d(np.ones(3), 2)
    with pytest.raises(ValueError, match="non-finite"):
        conv.max_pool2d(np.array([[1.0, np.nan], [0.0, 0.0]]), 2)
    with pytest.raises(ValueError, match="stride"):
        conv.max_pool1d(np.ones(5), 2, stride=0)


# ----------------------------------------------------------------------------- parameter counts

@pytest.mark.parametrize("filters,kshape,in_ch,bias", [(32, (12, 8), 1, True), (32, (1, 60), 1, True),
                                                       (32, (32, 1), 1, True), (204, (38, 7), 1, True),
                                                       (64, (3, 3), 16, True), (8, (2, 5), 3, False)])
def test_conv2d_params_matches_torch(filters, kshape, in_ch, bias):
    layer = torch.nn.Conv2d(in_ch, filters, kshape, bias=bias)
    assert conv.conv2d_params(filters, kshape, in_ch, bias) == sum(p.numel() for p in layer.parameters())


def test_conv1d_and_dense_params_match_torch():
    assert conv.conv1d_params(64, 7, 561) == sum(p.numel() for p in torch.nn.Conv1d(561, 64, 7).parameters())
    assert conv.dense_params(16352, 200) == sum(p.numel() for p in torch.nn.Linear(16352, 200).parameters())
    assert conv.dense_params(10, 3, bias=False) == 30


def test_single_layer_cnn_params_reproduce_pons_table_1():
    assert conv.single_layer_cnn_params((40, 80), 32, (12, 8), (4, 1), 200, 8) == 3_275_312   # Black-box
    assert conv.single_layer_cnn_params((40, 80), 32, (1, 60), (40, 1), None, 8) == 7_336      # Time
    assert conv.single_layer_cnn_params((40, 80), 32, (32, 1), (1, 80), None, 8) == 3_368      # Frequency
    with pytest.raises(ValueError, match="does not fit"):
        conv.single_layer_cnn_params((40, 80), 32, (32, 1), (10, 1), None, 8)


def test_single_layer_cnn_params_matches_a_torch_model():
    M, N, f, k, pool, hidden, classes = 20, 30, 6, (5, 4), (2, 3), 17, 5
    Mo, No = (M - k[0] + 1) // pool[0], (N - k[1] + 1) // pool[1]
    model = torch.nn.Sequential(torch.nn.Conv2d(1, f, k), torch.nn.MaxPool2d(pool), torch.nn.Flatten(),
                                torch.nn.Linear(f * Mo * No, hidden), torch.nn.Linear(hidden, classes))
    assert model(torch.zeros(1, 1, M, N)).shape == (1, classes)
    n = sum(p.numel() for p in model.parameters())
    assert conv.single_layer_cnn_params((M, N), f, k, pool, hidden, classes) == n


# ----------------------------------------------------------------------------- exercise answers are references

@pytest.mark.parametrize("fn,args", [
    (conv.convolve1d, (np.ones(4), np.ones(2))), (conv.convolve1d_torch, (np.ones(4), np.ones(2))),
    (conv.output_length, (10, 3)), (conv.max_pool2d, (np.ones((4, 4)), 2)),
    (conv.conv2d_params, (4, (3, 3))), (conv.single_layer_cnn_params, ((10, 10), 2, (3, 3), (2, 2), None, 2)),
])
def test_exercise_answers_are_blocked_for_learners(fn, args):
    fn(*args)  # works normally
    with pytest.raises(checks.ReferenceUsed):
        checks.call(lambda: fn(*args))


def test_non_exercise_helpers_still_work_while_references_are_blocked():
    # a learner may use correlate1d / pad1d etc. in other answers; they must not trip the block
    out = checks.call(lambda: (conv.correlate1d(np.ones(5), np.ones(2), "same"), conv.correlate2d(np.ones((3, 3)), np.ones((2, 2))),
                               conv.avg_pool2d(np.ones((4, 4)), 2), conv.dense_params(3, 2), conv.output_shape((5, 5), (2, 2))))
    assert out[0].shape == (5,)


# ----------------------------------------------------------------------------- demo sounds and features

def test_click_track_has_clicks_at_the_beat():
    sr, bpm = 8000, 120
    y = conv.click_track(bpm, 2.0, sr)
    assert y.dtype == np.float32 and y.shape == (16000,)
    env, times = conv.energy_envelope(y, sr, frame_length=256, hop=128)
    onsets = conv.correlate1d(env, conv.onset_kernel(2), "same")
    peaks = [i for i in range(1, len(onsets) - 1)
             if onsets[i] >= onsets[i - 1] and onsets[i] > onsets[i + 1] and onsets[i] > 0.5 * onsets.max()]
    # the clicks at 0.5, 1.0, 1.5 s rise out of silence (the one at 0 s has nothing before it)
    np.testing.assert_allclose(times[peaks], [0.5, 1.0, 1.5], atol=0.04)
    # convolution flips the kernel into a falling-edge detector: its peaks come after the clicks
    falls = conv.convolve1d(env, conv.onset_kernel(2), "same")
    assert np.argmax(falls) != np.argmax(onsets)


def test_harmonic_template_finds_the_notes_of_a_chord():
    sr = 16000
    notes = [60, 64, 67]
    y = conv.chord(notes, 1.0, sr, n_harmonics=6)
    spec, midi = conv.semitone_spectrum(y, sr, 36, 108)
    salience = conv.correlate1d(spec, conv.harmonic_template(6), padding=(0, 31))
    assert salience.shape == spec.shape
    top = set(int(m) for m in midi[np.argsort(salience)[-3:]])
    assert top == set(notes)
    # transposing the chord shifts the salience: equivariance of correlation
    y2 = conv.chord([n + 2 for n in notes], 1.0, sr, n_harmonics=6)
    spec2, _ = conv.semitone_spectrum(y2, sr, 36, 108)
    salience2 = conv.correlate1d(spec2, conv.harmonic_template(6), padding=(0, 31))
    assert set(int(m) for m in midi[np.argsort(salience2)[-3:]]) == {62, 66, 69}


def test_harmonic_template_offsets():
    w = conv.harmonic_template(6, rolloff=1.0)
    assert list(np.flatnonzero(w)) == [0, 12, 19, 24, 28, 31]


def test_groove_spectrogram_has_the_beat_in_it():
    from mmteach import audio

    bpm = 120
    y = conv.drum_groove(bpm, 2.0)
    spec = audio.pons_input(y, audio.PONS_SR)[:, :80]
    assert spec.shape == (40, 80)
    # a 1×n comb tuned to one beat answers more strongly to this groove than to one at 90 bpm
    period = int(round(audio.frames_per_beat(bpm, audio.PONS_SR, audio.PONS_HOP)))
    comb = conv.beat_comb(period, 3)[None, :]
    other = audio.pons_input(conv.drum_groove(90, 2.0), audio.PONS_SR)[:, :80]
    assert conv.correlate2d(spec, comb).max() > 1.5 * conv.correlate2d(other, comb).max()
    comb = conv.beat_comb(21, 3)
    assert comb.shape == (43,) and abs(comb.sum()) < 1e-9


def test_sound_helpers_reject_bad_arguments():
    with pytest.raises(ValueError):
        conv.tone(-5, 1.0)
    with pytest.raises(ValueError):
        conv.click_track(0, 1.0)
    with pytest.raises(ValueError):
        conv.chord([], 1.0)
    with pytest.raises(ValueError, match="even"):
        conv.onset_kernel(3)
    with pytest.raises(ValueError, match="fewer than one frame"):
        conv.energy_envelope(np.ones(10), 100, frame_length=64)


def test_best_time_returns_seconds():
    assert 0 <= conv.best_time(sum, range(100), repeat=2) < 1.0


def test_plot_maps_titles_carry_shapes():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = conv.plot_maps([np.zeros((40, 80)), np.ones((9, 80))], ["spectrogram", "feature map"])
    assert [ax.get_title() for ax in fig.axes[:2]] == ["spectrogram (40×80)", "feature map (9×80)"]
    plt.close(fig)
    with pytest.raises(ValueError, match="2-D"):
        conv.plot_maps([np.zeros(3)])
