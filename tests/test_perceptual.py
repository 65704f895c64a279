"""The perceptual (feature-space) loss beyond the registry: LPIPS and Johnson et al. as special
cases, properties, accuracy, bad input, and the stripe-network experiment (lossbook.perceptual).

The registry (``lossbook.testing.cases.perceptual``) holds the loss and its gradient, one array
per layer, against the feature distances written in PyTorch on three backends and under
gradcheck."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lossbook.perceptual import feature_loss, feature_loss_grad
from lossbook.testing.cases.perceptual import _feature_maps
from lossbook.testing.twins import lpips_distance
from tests import perceptual_experiment as experiment

mpmath.mp.dps = 50


def _torch(x, dtype=torch.float64):
    return torch.tensor(np.asarray(x), dtype=dtype)


# --- Johnson et al. 2016 and LPIPS as special cases ---------------------------------------------


def test_one_layer_p2_is_johnsons_feature_reconstruction_loss():
    """(1 / (C H W)) ||phi(x) - phi(y)||^2 per sample: F.mse_loss of the feature maps."""
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 4, 5))
    per_sample = feature_loss([a], [b], reduction="none")
    norm2 = ((a - b) ** 2).reshape(2, -1).sum(axis=1)
    np.testing.assert_allclose(per_sample, norm2 / (3 * 4 * 5), rtol=1e-14)
    assert float(feature_loss([a], [b])) == pytest.approx(float(F.mse_loss(_torch(a), _torch(b))),
                                                          rel=1e-14)


def test_lpips_is_feature_loss_with_channel_weights_times_channels():
    """LPIPS (normalize_tensor, 1x1 lin layer, spatial mean, sum over layers) equals
    feature_loss(normalize=True, weights=[C_l w_l], reduction="none")."""
    rng = np.random.default_rng(5)
    shapes = [(2, 4, 6, 6), (2, 8, 3, 3)]
    f0 = [rng.normal(size=s) for s in shapes]
    f1 = [rng.normal(size=s) for s in shapes]
    lin = [rng.uniform(0.0, 1.0, size=s[1]) for s in shapes]
    theirs = lpips_distance([_torch(f) for f in f0], [_torch(f) for f in f1],
                            [_torch(w) for w in lin]).reshape(-1)
    ours = feature_loss(f0, f1, normalize=True, weights=[s[1] * w for s, w in
                                                         zip(shapes, lin, strict=True)],
                        reduction="none")
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-13)


# --- properties (hypothesis) -------------------------------------------------------------------

# 0 or at least 1e-3 in size: a subnormal feature does not survive a rescaling by 0.5
_value = st.floats(-5.0, 5.0).filter(lambda v: v == 0 or abs(v) >= 1e-3)


@st.composite
def _maps(draw):
    c, h = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    n = 2 * c * h * h
    a = np.array(draw(st.lists(_value, min_size=n, max_size=n))).reshape(2, c, h, h)
    b = np.array(draw(st.lists(_value, min_size=n, max_size=n))).reshape(2, c, h, h)
    return a, b


@settings(max_examples=60, deadline=None)
@given(_maps(), st.sampled_from([1, 2]), st.floats(0.1, 10.0))
def test_zero_for_equal_features_scaling_and_reductions(ab, p, scale):
    """0 for identical features; normalize=True ignores a positive rescaling of the features;
    the weights act linearly; sum = mean * N."""
    a, b = ab
    assert float(feature_loss([a], [a], p=p, reduction="sum")) == 0.0
    for normalize in (False, True):
        base = feature_loss([a], [b], p=p, normalize=normalize, eps=0.0, reduction="none")
        assert np.all(base >= 0)
        np.testing.assert_allclose(feature_loss([a], [b], p=p, normalize=normalize, eps=0.0,
                                                weights=[scale], reduction="none"),
                                   scale * base, rtol=1e-12, atol=1e-300)
        total = float(feature_loss([a], [b], p=p, normalize=normalize, reduction="sum"))
        mean = float(feature_loss([a], [b], p=p, normalize=normalize))
        assert total == pytest.approx(2 * mean, rel=1e-12, abs=1e-300)
    np.testing.assert_allclose(
        feature_loss([a * scale], [b * scale], p=p, normalize=True, eps=0.0, reduction="none"),
        feature_loss([a], [b], p=p, normalize=True, eps=0.0, reduction="none"),
        rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(_maps())
def test_normalized_distance_is_bounded(ab):
    """Unit vectors are at most 2 apart: with p = 2 each position contributes at most 4 / C."""
    a, b = ab
    d = feature_loss([a], [b], normalize=True, eps=0.0, reduction="none")
    assert np.all(d <= 4 / a.shape[1] + 1e-12)


def test_zero_feature_vectors():
    """A zero feature vector normalises to 0 (LPIPS's eps keeps it finite; with eps = 0 the 0/0
    is taken as 0), and the gradient there is u / eps, or 0 with eps = 0."""
    a = np.zeros((1, 3, 1, 1))
    b = np.array([[[[1.0]], [[0.0]], [[0.0]]]])
    assert float(feature_loss([a], [b], normalize=True)) == pytest.approx(
        ((1 / (1 + 1e-10)) ** 2) / 3, rel=1e-15)
    assert float(feature_loss([a], [b], normalize=True, eps=0.0)) == pytest.approx(1 / 3)
    g = feature_loss_grad([a], [b], normalize=True)[0]
    u = 2 * (0 - 1 / (1 + 1e-10)) / 3
    np.testing.assert_allclose(g.reshape(-1), [u / 1e-10, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_array_equal(feature_loss_grad([a], [b], normalize=True, eps=0.0)[0], 0.0)
    x = _torch(a).requires_grad_(True)
    feature_loss([x], [_torch(b)], normalize=True).backward()
    np.testing.assert_allclose(x.grad.numpy(), g, rtol=1e-12)


def test_p1_subgradient_at_equal_features_is_zero():
    a = np.array([[1.0, 2.0, 3.0]])
    b = np.array([[1.0, 0.0, 5.0]])
    g = feature_loss_grad([a], [b], p=1)[0]
    x = _torch(a).requires_grad_(True)
    F.l1_loss(x, _torch(b)).backward()
    np.testing.assert_array_equal(g, x.grad.numpy())
    np.testing.assert_array_equal(g, [[0.0, 1 / 3, -1 / 3]])


# --- accuracy -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_normalization_does_not_overflow(dtype):
    """Feature values of 300 square beyond float16's 65504 (1e20 beyond float32's range):
    the channel length is formed from the values scaled by their largest, so the normalised
    distance is right; the directions are exact, compared with mpmath."""
    big = {np.float16: 300.0, np.float32: 1e20, np.float64: 1e160}[dtype]
    a = np.array([[[[3.0]], [[4.0]]]], dtype=dtype) * dtype(big / 5)
    b = np.array([[[[4.0]], [[3.0]]]], dtype=dtype) * dtype(big / 5)
    got = feature_loss([a], [b], normalize=True, eps=0.0)
    assert got.dtype == dtype
    # unit vectors (0.6, 0.8) and (0.8, 0.6): squared distance 0.08, mean over 2 channels
    exact = float((mpmath.mpf(0.2) ** 2 * 2) / 2)
    assert float(got) == pytest.approx(exact, rel=8 * float(np.finfo(dtype).eps))
    naive = F.mse_loss(*(lpip / (lpip.pow(2).sum(1, keepdim=True).sqrt()) for lpip in
                         (torch.from_numpy(a), torch.from_numpy(b))))
    if dtype != np.float64:
        assert not math.isfinite(float(naive)) or float(naive) == 0.0


def test_float16_and_float32_follow_float64():
    features, targets = _feature_maps(np.random.default_rng(6))
    for normalize in (False, True):
        for dtype in (np.float16, np.float32):
            fs, ts = [f.astype(dtype) for f in features], [t.astype(dtype) for t in targets]
            got = feature_loss(fs, ts, normalize=normalize, reduction="none")
            exact = feature_loss([f.astype(np.float64) for f in fs],
                                 [t.astype(np.float64) for t in ts], normalize=normalize,
                                 reduction="none")
            assert got.dtype == dtype
            np.testing.assert_allclose(got, exact, rtol=8 * float(np.finfo(dtype).eps))


# --- bad input ----------------------------------------------------------------------------------


def test_bad_input_names_the_argument():
    features, targets = _feature_maps(np.random.default_rng(0))
    for f in (feature_loss, feature_loss_grad):
        with pytest.raises(TypeError, match="features_input must be a list or tuple of feature "
                           "maps, one array per layer; got ndarray"):
            f(features[0], targets[0])
        with pytest.raises(ValueError, match="features_input must hold at least one feature map"):
            f([], [])
        with pytest.raises(ValueError, match=r"features_target must hold one feature map per "
                           r"layer of features_input \(3\); got 2"):
            f(features, targets[:2])
        with pytest.raises(ValueError, match=r"features_input\[1\] and features_target\[1\] "
                           r"must have the same shape \(no broadcasting\)"):
            f(features, [targets[0], targets[1][:, :1], targets[2]])
        with pytest.raises(ValueError, match=r"features_input\[2\] must have a batch and a "
                           r"channel axis"):
            f([*features[:2], features[2][0]], [*targets[:2], targets[2][0]])
        with pytest.raises(ValueError, match=r"features_input\[1\] must have the batch size of "
                           r"features_input\[0\] \(3\)"):
            f([features[0], features[1][:2]], [targets[0], targets[1][:2]])
        with pytest.raises(TypeError, match=r"features_target\[2\] must have the dtype of "
                           r"features_input\[0\] \(float64\); got float32"):
            f(features, [*targets[:2], targets[2].astype(np.float32)])
        with pytest.raises(TypeError, match=r"features_input\[0\] must have a real floating "
                           "dtype"):
            f([features[0].astype(np.int64)], [targets[0]])
        with pytest.raises(TypeError, match=r"features_target\[0\] must come from the same "
                           r"library as features_input\[0\] \(numpy\); got torch"):
            f(features, [torch.from_numpy(targets[0]), *targets[1:]])
        with pytest.raises(ValueError, match=r"p must be 1 .* or 2 .*; got 3"):
            f(features, targets, p=3)
        with pytest.raises(TypeError, match=r"p must be an int; got bool True"):
            f(features, targets, p=True)
        with pytest.raises(TypeError, match="normalize must be True or False; got str"):
            f(features, targets, normalize="yes")
        with pytest.raises(ValueError, match=r"weights must be a list or tuple of one weight per "
                           r"layer \(3\); got 2 weights"):
            f(features, targets, weights=[1.0, 2.0])
        with pytest.raises(ValueError, match=r"weights\[0\] must be a finite number >= 0; got -1"):
            f(features, targets, weights=[-1.0, 1.0, 1.0])
        with pytest.raises(ValueError, match=r"weights\[1\] must hold one weight per channel, "
                           r"shape \(8,\); got \(4,\)"):
            f(features, targets, weights=[1.0, np.ones(4), 1.0])
        with pytest.raises(ValueError, match=r"weights\[1\] must hold finite values >= 0"):
            f(features, targets, weights=[1.0, -np.ones(8), 1.0])
        with pytest.raises(TypeError, match=r"weights\[2\] must be a number or an array"):
            f(features, targets, weights=[1.0, 1.0, "1"])
        with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
            f(features, targets, eps=-1.0)
        with pytest.raises(ValueError, match="reduction must be one of"):
            f(features, targets, reduction="batchmean")
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(3,\)"):
        feature_loss_grad(features, targets, reduction="none", grad_output=np.ones(7))
    with pytest.raises(TypeError, match=r"grad_output must have the dtype of features_input "
                       r"\(float64\); got float32"):
        feature_loss_grad(features, targets, grad_output=np.array(1.0, dtype=np.float32))


# --- the experiment for the notebook ------------------------------------------------------------


def test_trained_stripe_network_ranks_a_shift_closer_than_a_blur():
    """Two seeds of tests/perceptual_experiment.py (ten in its table): pixel MSE ranks the
    one-pixel shift farther than the blur for every test image; the trained network's
    feature_loss ranks it closer for every image, and the untrained network does not."""
    torch.set_num_threads(1)
    images = experiment.evaluation_images()
    pixel = experiment.distances(None, images)
    assert bool(torch.all(pixel["shift"] > pixel["blur"]))
    for seed in (0, 1):
        net = experiment.train(seed)
        d = experiment.distances(net, images)
        assert bool(torch.all(d["shift"] < d["blur"])), seed
        torch.manual_seed(seed)
        untrained = experiment.distances(experiment.StripeNet().double(), images)
        assert float(untrained["shift"].mean()) > float(untrained["blur"].mean()), seed
