"""The exact log p(x) and true posterior by quadrature (vae/core/exact.py).

A linear-Gaussian decoder x = z W + b + noise has a closed form,
p(x) = N(b, W^T W + sigma^2 I) and a Gaussian posterior, so the quadrature is
checked against it; a trained VAE checks the bounds (ELBO <= IWAE(K) <= exact)
and a wide brute-force grid checks the error on real, curved posteriors.
"""

import math

import numpy as np
import pytest
from scipy.special import logsumexp

from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core import exact, losses
from vae.core.decode import NetworkWeights, decode, encode
from vae.data.presets import generate

SIGMA_X = 0.3


def linear_gaussian(seed: int = 0, input_dim: int = 3) -> NetworkWeights:
    """A decoder with no hidden layer (x_hat = z W + b) and a random encoder (q is off on purpose)."""
    rng = np.random.default_rng(seed)
    base = random_weights(ModelConfig(input_dim=input_dim), seed=seed)
    kernel = rng.normal(0.0, 1.0, (2, input_dim)).astype(np.float32)
    bias = rng.normal(0.0, 0.5, input_dim).astype(np.float32)
    return NetworkWeights(
        encoder=base.encoder,
        z_mean=base.z_mean,
        z_log_var=base.z_log_var,
        decoder=[],
        x_mean=(kernel, bias),
        activation="relu",
    )


def closed_form(weights: NetworkWeights, x: np.ndarray, sigma: float):
    """log p(x), posterior mean and covariance of the linear-Gaussian model."""
    kernel, bias = (a.astype(np.float64) for a in weights.x_mean)
    d = kernel.shape[1]
    marginal_cov = kernel.T @ kernel + sigma**2 * np.eye(d)
    diff = x - bias
    _, log_det = np.linalg.slogdet(marginal_cov)
    maha = np.einsum("nd,dk,nk->n", diff, np.linalg.inv(marginal_cov), diff)
    log_px = -0.5 * (d * math.log(2 * math.pi) + log_det + maha)
    post_cov = np.linalg.inv(np.eye(2) + kernel @ kernel.T / sigma**2)
    post_mean = diff @ kernel.T @ post_cov / sigma**2
    return log_px, post_mean, post_cov


def data_of(weights: NetworkWeights, n: int, seed: int = 1) -> np.ndarray:
    """Points drawn from the model itself, plus a few outliers far from it."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    x = decode(weights, z.astype(np.float32)) + SIGMA_X * rng.standard_normal((n, weights.input_dim))
    x[:3] += 2.5  # outliers: posteriors far from where the random encoder puts q
    return x.astype(np.float64)


def test_log_likelihood_matches_the_linear_gaussian_closed_form():
    weights = linear_gaussian()
    x = data_of(weights, 60)
    expected, _, _ = closed_form(weights, x, SIGMA_X)
    result = exact.log_likelihood(weights, x, SIGMA_X)
    assert np.max(np.abs(result.log_px - expected)) < 1e-3
    assert np.all(result.error < 1e-2)  # the stated error is small here, and honest
    assert np.all(np.abs(result.log_px - expected) <= result.error + 1e-4)


def test_true_posterior_is_the_closed_form_gaussian_and_integrates_to_one():
    weights = linear_gaussian(seed=3)
    x = data_of(weights, 4, seed=5)
    _, means, cov = closed_form(weights, x, SIGMA_X)
    for row in range(len(x)):
        grid = exact.point_truth(weights, x[row], SIGMA_X).posterior
        cell_area = (grid.z1[1] - grid.z1[0]) * (grid.z2[1] - grid.z2[0])
        assert grid.density.sum() * cell_area == pytest.approx(1.0, abs=1e-9)
        z1, z2 = np.meshgrid(grid.z1, grid.z2)
        nodes = np.stack([z1, z2], axis=-1)
        diff = nodes - means[row]
        maha = np.einsum("...i,ij,...j->...", diff, np.linalg.inv(cov), diff)
        density = np.exp(-0.5 * maha) / (2 * math.pi * math.sqrt(np.linalg.det(cov)))
        assert np.max(np.abs(grid.density - density)) < 1e-3 * density.max()
        # and it covers the posterior: its own moments are the closed form's
        weights_ = grid.density * cell_area
        mean = np.tensordot(weights_, nodes, axes=([0, 1], [0, 1]))
        assert mean == pytest.approx(means[row], abs=1e-4)


def test_analytic_elbo_matches_its_closed_form():
    # E_q[log p(x|z)] for a linear decoder: the squared error at the mean plus sum_j s_j^2 |W_j|^2.
    weights = linear_gaussian(seed=2)
    x = data_of(weights, 30)
    kernel, bias = (a.astype(np.float64) for a in weights.x_mean)
    z_mean, z_log_var = (np.asarray(a, np.float64) for a in encode(weights, x.astype(np.float32)))
    squared = np.sum((x - (z_mean @ kernel + bias)) ** 2, axis=1) + np.exp(z_log_var) @ np.sum(
        kernel**2, axis=1
    )
    expected = (
        -0.5 * squared / SIGMA_X**2
        - losses.gaussian_nll_constant(x.shape[1], SIGMA_X)
        - losses.kl_divergence(z_mean, z_log_var)
    )
    result = exact.log_likelihood(weights, x, SIGMA_X)
    assert result.elbo == pytest.approx(expected, abs=1e-4)
    assert np.all(result.log_px - result.elbo >= -1e-3)  # KL(q || p(z|x)) is never negative


def test_a_latent_other_than_two_is_refused_with_the_fallback_named():
    weights = random_weights(ModelConfig(latent_dim=3), seed=0)
    reason = exact.unavailable_reason(weights)
    assert "latent_dim = 2" in reason and "latent_dim = 3" in reason and "IWAE" in reason
    with pytest.raises(ValueError, match="latent_dim = 3"):
        exact.log_likelihood(weights, np.zeros((2, 2)), 0.1)
    assert exact.unavailable_reason(random_weights(ModelConfig(), seed=0)) is None


@pytest.mark.parametrize(
    ("x", "sigma", "message"),
    [
        (np.zeros((2, 3)), 0.1, r"shape \(n, 2\)"),
        (np.array([[np.nan, 0.0]]), 0.1, "finite"),
        (np.zeros((1, 2)), 0.0, "decoder_std"),
    ],
)
def test_bad_inputs_say_what_is_wrong(x, sigma, message):
    with pytest.raises(ValueError, match=message):
        exact.log_likelihood(random_weights(ModelConfig(), seed=0), x, sigma)


def test_one_point_functions_take_exactly_one_point():
    weights = random_weights(ModelConfig(), seed=0)
    with pytest.raises(ValueError, match="one point"):
        exact.point_truth(weights, np.zeros((2, 2)), 0.1)
    truth = exact.point_truth(weights, np.array([0.3, -0.2]), 0.1, k=16)
    batch = exact.log_likelihood(weights, np.array([[0.3, -0.2]]), 0.1)
    assert truth.log_px == pytest.approx(batch.log_px[0]) and truth.elbo == pytest.approx(batch.elbo[0])
    assert truth.gap == pytest.approx(truth.log_px - truth.elbo) and truth.iwae_k == 16
    grid = truth.posterior
    assert grid.density.sum() * (grid.z1[1] - grid.z1[0]) * (grid.z2[1] - grid.z2[0]) == pytest.approx(1.0)


# --- a trained VAE: curved, bimodal posteriors --------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    from vae.training.fit import fit  # TensorFlow: only this slow fixture trains

    data = generate(DataConfig(n_samples=600, seed=0)).standardized()
    config = ModelConfig()
    result = fit(data, config, TrainConfig(epochs=60, batch_size=64, seed=0))
    return result.weights, data[:120].astype(np.float64), config.decoder_std


def brute_force(weights: NetworkWeights, x: np.ndarray, sigma: float, limit=6.0, steps=1201) -> np.ndarray:
    """log p(x) on one wide, fine grid shared by all points (spacing 0.01): slow but simple."""
    axis = np.linspace(-limit, limit, steps)
    z1, z2 = np.meshgrid(axis, axis)
    nodes = np.stack([z1.ravel(), z2.ravel()], axis=1)
    x_hat = decode(weights, nodes.astype(np.float32)).astype(np.float64)
    log_prior = losses.log_prior(nodes)
    log_area = 2 * math.log(axis[1] - axis[0])
    return np.array(
        [logsumexp(losses.gaussian_log_likelihood(row, x_hat, sigma) + log_prior) + log_area for row in x]
    )


@pytest.mark.slow
def test_quadrature_matches_a_wide_fine_grid_on_a_trained_vae(trained):
    weights, x, sigma = trained
    result = exact.log_likelihood(weights, x, sigma)
    reference = brute_force(weights, x, sigma)
    assert np.max(np.abs(result.log_px - reference)) < 0.02
    assert abs(np.mean(result.log_px - reference)) < 1e-3
    assert np.mean(np.abs(result.log_px - reference) <= result.error + 2e-3) == 1.0


@pytest.mark.slow
def test_elbo_and_iwae_are_below_exact_and_iwae_rises_towards_it(trained):
    weights, x, sigma = trained
    result = exact.log_likelihood(weights, x, sigma)
    assert np.all(result.elbo <= result.log_px + result.error)
    assert (result.log_px - result.elbo).mean() > 0.01  # the Gaussian q is not the true posterior
    z_mean, z_log_var = encode(weights, x.astype(np.float32))
    # Each estimate is random: at K=1 and K=8 one draw's noise (about 0.01 nats on 120 points) is
    # as large as the gap between them, so average each K over the same 16 seeds.
    iwae = {
        k: np.mean(
            [
                losses.iwae_bound(
                    x.astype(np.float32), lambda z: decode(weights, z), z_mean, z_log_var, sigma, k=k, seed=s
                ).mean()
                for s in range(16)
            ]
        )
        for k in (1, 8, 64, 512)
    }
    assert iwae[1] < iwae[8] < iwae[64] < iwae[512] <= result.log_px.mean() + 0.01
    assert result.log_px.mean() - iwae[512] < 0.5 * (result.log_px.mean() - iwae[1])
    assert iwae[1] == pytest.approx(result.elbo.mean(), abs=0.15)  # K = 1 is a one-sample ELBO
