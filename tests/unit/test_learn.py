"""vae.core.learn: the Learn page's numbers equal the library's loss functions, and the mistakes misbehave."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from vae.core import learn, losses
from vae.core.decode import NetworkWeights, decode, encode


def random_weights(
    d: int = 2, latent: int = 2, hidden: int = 8, seed: int = 0, decoder_hidden: bool = True
) -> NetworkWeights:
    rng = np.random.default_rng(seed)

    def dense(n_in: int, n_out: int, scale: float = 0.7):
        return (
            rng.normal(0, scale, (n_in, n_out)).astype(np.float32),
            rng.normal(0, 0.1, n_out).astype(np.float32),
        )

    return NetworkWeights(
        encoder=[dense(d, hidden)],
        z_mean=dense(hidden, latent),
        z_log_var=dense(hidden, latent, 0.3),
        decoder=[dense(latent, hidden)] if decoder_hidden else [],
        x_mean=dense(hidden if decoder_hidden else latent, d),
        activation="tanh",
    )


@pytest.fixture
def data() -> np.ndarray:
    return np.random.default_rng(1).normal(size=(50, 2)).astype(np.float32)


def test_breakdown_matches_library_losses(data):
    w = random_weights()
    b = learn.point_breakdown(w, data, 7, seed=3, decoder_std=0.1, beta=2.0)
    x = data[7:8]
    z_mean, z_log_var = encode(w, x)
    eps = np.random.default_rng(3).standard_normal(2).astype(np.float32)
    z = losses.reparameterize(z_mean, z_log_var, eps)
    x_hat = decode(w, z)
    np.testing.assert_allclose(b.x, x[0])
    np.testing.assert_allclose(b.z_mean, z_mean[0], rtol=1e-6)
    np.testing.assert_allclose(b.sigma, losses.posterior_std(z_log_var[0]), rtol=1e-6)
    np.testing.assert_allclose(b.eps, eps)
    np.testing.assert_allclose(b.z, z[0], rtol=1e-6)
    np.testing.assert_allclose(b.x_hat, x_hat[0], rtol=1e-6)
    assert b.recon == pytest.approx(float(losses.reconstruction_loss(x, x_hat, 0.1)[0]), rel=1e-6)
    assert b.kl == pytest.approx(float(losses.kl_divergence(z_mean, z_log_var)[0]), rel=1e-6)
    np.testing.assert_allclose(b.kl_per_dim, losses.kl_per_dim(z_mean, z_log_var)[0], rtol=1e-6)
    assert b.kl_per_dim.sum() == pytest.approx(b.kl, rel=1e-5)
    assert b.loss == pytest.approx(b.recon + 2.0 * b.kl)
    assert b.elbo == pytest.approx(float(losses.elbo(x, x_hat, z_mean, z_log_var, 0.1)[0]), rel=1e-5)


def test_same_seed_same_eps_other_seed_other_eps(data):
    w = random_weights()
    a, b = learn.point_breakdown(w, data, 0, seed=5), learn.point_breakdown(w, data, 0, seed=5)
    c = learn.point_breakdown(w, data, 0, seed=6)
    np.testing.assert_array_equal(a.z, b.z)
    assert not np.allclose(a.eps, c.eps)
    assert a.kl == c.kl  # the KL depends on mu and sigma, not on the draw


def test_non_variational_uses_the_mean_and_has_no_kl(data):
    w = random_weights()
    b = learn.point_breakdown(w, data, 4, variational=False)
    np.testing.assert_array_equal(b.z, b.z_mean)
    assert b.kl == 0.0 and np.all(b.eps == 0)
    np.testing.assert_allclose(b.x_hat, decode(w, encode(w, data[4:5])[0])[0], rtol=1e-6)


@pytest.mark.parametrize("index", [-1, 50, 2.0, True])
def test_bad_index_is_rejected(data, index):
    with pytest.raises(ValueError, match="index must be an integer in \\[0, 49\\]"):
        learn.point_breakdown(random_weights(), data, index)


def test_width_mismatch_is_rejected():
    with pytest.raises(ValueError, match="model expects 2"):
        learn.point_breakdown(random_weights(), np.zeros((5, 3), np.float32), 0)


def test_kl_per_dimension_averages_the_per_point_kl(data):
    w = random_weights()
    per_dim = learn.kl_per_dimension(w, data)
    z_mean, z_log_var = encode(w, data)
    assert per_dim.shape == (2,)
    assert per_dim.sum() == pytest.approx(float(losses.kl_divergence(z_mean, z_log_var).mean()), rel=1e-5)


def test_collapsed_dimension_has_zero_kl(data):
    w = random_weights()
    # Make latent dimension 1 ignore x and output the prior: mu = 0, log sigma^2 = 0.
    for head in (w.z_mean, w.z_log_var):
        head[0][:, 1] = 0.0
        head[1][1] = 0.0
    per_dim = learn.kl_per_dimension(w, data)
    assert per_dim[1] == pytest.approx(0.0, abs=1e-7)
    assert per_dim[0] > 0.01


def test_aggregate_posterior_moments_match_monte_carlo(data):
    w = random_weights()
    mean, var = learn.aggregate_posterior_moments(w, data)
    z_mean, z_log_var = encode(w, data)
    rng = np.random.default_rng(0)
    z = losses.reparameterize(z_mean[None], z_log_var[None], rng.standard_normal((4000, *z_mean.shape)))
    samples = z.reshape(-1, 2)
    np.testing.assert_allclose(mean, samples.mean(axis=0), atol=0.02)
    np.testing.assert_allclose(var, samples.var(axis=0), rtol=0.03)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, 3, elements=st.floats(-4, 4)), arrays(np.float64, 3, elements=st.floats(-6, 4)))
def test_general_kl_formula_equals_closed_form(mu, log_var):
    closed = float(losses.kl_divergence(mu[None], log_var[None])[0])
    assert learn.kl_general(mu, log_var) == pytest.approx(closed, rel=1e-9, abs=1e-9)
    assert learn.kl_general(mu, log_var) >= -1e-12


def test_log_of_identity_matrix_is_not_log_det():
    elementwise, total, log_det = learn.log_identity_mistake(2)
    assert np.all(np.diag(elementwise) == 0)
    assert np.all(np.isneginf(elementwise[~np.eye(2, dtype=bool)]))
    assert total == -math.inf and log_det == 0.0
    assert not math.isfinite(
        learn.kl_general(np.array([0.5, -1.0]), np.array([0.1, -0.2]), log_identity_bug=True)
    )


def test_shared_head_ties_sigma_to_the_mean():
    np.testing.assert_allclose(
        learn.shared_head_sigma(np.array([-2.0, 0.0, 2.0])), [math.exp(-1), 1.0, math.exp(1)]
    )


def test_reparameterized_gradient_is_the_decoder_gradient_and_the_bug_gives_zero(data):
    # Linear decoder x_hat = z W + b: d recon / d mu = ((x_hat - x) / s^2) W^T exactly (since dz/dmu = 1).
    w = random_weights(decoder_hidden=False)
    b = learn.point_breakdown(w, data, 11, seed=2, decoder_std=0.5)
    kernel = w.x_mean[0].astype(np.float64)
    analytic = ((b.x_hat - b.x) / 0.25) @ kernel.T
    np.testing.assert_allclose(learn.recon_gradient_wrt_mean(w, b), analytic, rtol=1e-3, atol=1e-3)
    assert np.all(learn.recon_gradient_wrt_mean(w, b, reparameterized=False) == 0.0)


def test_latex_shows_the_numbers(data):
    b = learn.point_breakdown(random_weights(), data, 3, seed=1)
    kl_tex, recon_tex = learn.latex_kl(b), learn.latex_reconstruction(b)
    assert kl_tex.endswith(f"&= {learn.fmt(b.kl)}\\end{{aligned}}")
    assert recon_tex.endswith(f"&= {learn.fmt(b.recon)}\\end{{aligned}}")
    assert learn.fmt(b.z_mean[0]) in kl_tex and learn.fmt(b.x_hat[1]).lstrip("-") in recon_tex
    assert learn.vec(b.z) in learn.latex_reparameterization(b)
    assert learn.fmt(b.loss) in learn.latex_loss(b) and learn.fmt(b.elbo) in learn.latex_elbo(b)
    assert learn.vec(b.sigma) in learn.latex_posterior(b)


def test_long_vectors_are_elided():
    text = learn.vec(np.arange(64.0))
    assert text == r"(0,\ 1,\ 2,\ 3,\ \ldots,\ 63)"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.23456, "1.235"),
        (-0.5, "-0.5"),
        (2.5e-7, r"2.5\times 10^{-7}"),
        (math.inf, r"+\infty"),
        (-math.inf, r"-\infty"),
        (math.nan, r"\text{NaN}"),
    ],
)
def test_fmt(value, text):
    assert learn.fmt(value) == text


def test_gap_meaning_grows_with_the_gap_and_latex_gap_adds_up():
    from vae.core import exact

    assert "small" in learn.gap_meaning(0.05)
    assert "main mass" in learn.gap_meaning(0.5)
    assert "poor fit" in learn.gap_meaning(1.5) and "several modes" in learn.gap_meaning(1.5)
    truth = exact.PointTruth(log_px=-2.25, error=1e-3, elbo=-2.75, iwae=-2.3, iwae_k=64, posterior=None)
    latex = learn.latex_gap(truth)
    assert "-2.25 &= -2.75 + 0.5" in latex and "K = 64" in latex
