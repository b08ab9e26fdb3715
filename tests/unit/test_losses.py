import math

import numpy as np
import pytest

from vae.core import losses


def test_kl_closed_form_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mu = np.array([[0.7, -1.2]])
    log_var = np.array([[-0.5, 0.8]])
    closed = losses.kl_divergence(mu, log_var)[0]
    z = mu + np.exp(0.5 * log_var) * rng.standard_normal((400_000, 2))
    log_q = losses.log_normal(z, mu, log_var)
    log_p = losses.log_normal(z, np.zeros(2), np.zeros(2))
    monte_carlo = np.mean(log_q - log_p)
    assert closed == pytest.approx(monte_carlo, abs=0.01)


def test_kl_is_zero_only_at_the_prior():
    assert losses.kl_divergence(np.zeros((1, 2)), np.zeros((1, 2)))[0] == 0.0
    assert losses.kl_divergence(np.array([[1.0, 0.0]]), np.zeros((1, 2)))[0] == pytest.approx(0.5)


def test_reconstruction_is_scaled_squared_error_per_point():
    x = np.array([[1.0, 2.0], [0.0, 0.0]])
    x_hat = np.array([[1.1, 1.8], [0.0, 0.0]])
    recon = losses.reconstruction_loss(x, x_hat, decoder_std=0.1)
    assert recon == pytest.approx([0.5 * (1.0 + 4.0), 0.0])


def test_reconstruction_plus_constant_is_gaussian_nll():
    rng = np.random.default_rng(1)
    x, x_hat, sigma = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), 0.3
    nll = losses.reconstruction_loss(x, x_hat, sigma) + losses.gaussian_nll_constant(3, sigma)
    expected = -losses.log_normal(x, x_hat, np.full_like(x, math.log(sigma**2)))
    assert nll == pytest.approx(expected)


def test_iwae_bound_is_above_elbo_and_tightens():
    rng = np.random.default_rng(2)
    weight = rng.normal(size=(2, 2))

    def decode_fn(z):
        return np.tanh(z @ weight)

    x = rng.normal(size=(200, 2)).astype(np.float32) * 0.5
    mu, log_var = 0.3 * x, np.full_like(x, -1.0)
    elbos = [
        losses.elbo(
            x, decode_fn(mu + np.exp(0.5 * log_var) * rng.standard_normal(mu.shape)), mu, log_var, 0.5
        ).mean()
        for _ in range(50)
    ]
    k1 = losses.iwae_bound(x, decode_fn, mu, log_var, 0.5, k=1, seed=0).mean()
    k64 = losses.iwae_bound(x, decode_fn, mu, log_var, 0.5, k=64, seed=0).mean()
    assert k1 == pytest.approx(np.mean(elbos), abs=0.15)  # K=1 is the ELBO
    assert k64 > np.mean(elbos) + 0.05


def test_keras_ops_and_numpy_agree():
    from keras import ops

    rng = np.random.default_rng(3)
    mu, log_var = rng.normal(size=(4, 2)).astype(np.float32), rng.normal(size=(4, 2)).astype(np.float32)
    x, x_hat = rng.normal(size=(4, 2)).astype(np.float32), rng.normal(size=(4, 2)).astype(np.float32)
    np.testing.assert_allclose(
        np.asarray(losses.kl_divergence(mu, log_var, xp=ops)), losses.kl_divergence(mu, log_var), rtol=1e-5
    )
    np.testing.assert_allclose(
        np.asarray(losses.reconstruction_loss(x, x_hat, 0.1, xp=ops)),
        losses.reconstruction_loss(x, x_hat, 0.1),
        rtol=1e-5,
    )


def test_posterior_std_reparameterize_and_kl_per_dim_are_the_written_out_formulas():
    rng = np.random.default_rng(4)
    mu, log_var, eps = rng.normal(size=(3, 5, 2))
    sigma = np.sqrt(np.exp(log_var))
    np.testing.assert_allclose(losses.posterior_std(log_var), sigma, rtol=1e-12)
    np.testing.assert_allclose(losses.reparameterize(mu, log_var, eps), mu + sigma * eps, rtol=1e-12)
    # KL of N(m, s^2) from N(0, 1), dimension by dimension: log(1/s) + (s^2 + m^2 - 1) / 2.
    per_dim = losses.kl_per_dim(mu, log_var)
    np.testing.assert_allclose(
        per_dim, -np.log(sigma) + 0.5 * (sigma**2 + mu**2 - 1.0), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_array_equal(losses.kl_divergence(mu, log_var), per_dim.sum(axis=-1))
