"""vae.core.compare_metrics: sample distances, active units, scoring a trained model.

The distances are checked against closed forms (point masses) and SciPy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig
from vae.core import compare_metrics, exact, losses
from vae.core.decode import decode, encode, prior_samples_standardized
from vae.data.presets import generate


# --- energy distance and MMD ---------------------------------------------------------------------
def test_energy_distance_of_two_point_masses_is_twice_their_distance():
    a, b = np.zeros((5, 2)), np.tile([3.0, 4.0], (7, 1))  # |a - b| = 5
    assert compare_metrics.energy_distance(a, b) == pytest.approx(10.0)


def test_energy_distance_matches_scipy_in_one_dimension():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 300), rng.normal(0.5, 2, 200)
    # SciPy returns the square root of the same V-statistic.
    assert compare_metrics.energy_distance(a[:, None], b[:, None]) == pytest.approx(
        stats.energy_distance(a, b) ** 2, rel=1e-9
    )


def test_energy_distance_is_zero_for_one_sample_and_small_for_one_distribution():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 2))
    assert compare_metrics.energy_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    same = compare_metrics.energy_distance(a, rng.normal(size=(500, 2)))
    shifted = compare_metrics.energy_distance(a, rng.normal(size=(500, 2)) + np.array([1.0, 0.0]))
    assert same < 0.02
    assert shifted > 0.3
    assert shifted > 20 * same


def test_energy_distance_grows_with_the_shift_and_is_symmetric():
    rng = np.random.default_rng(2)
    a, noise = rng.normal(size=(300, 2)), rng.normal(size=(400, 2))
    values = [compare_metrics.energy_distance(a, noise + np.array([d, 0.0])) for d in (0.5, 1.0, 2.0, 4.0)]
    assert values == sorted(values)
    b = noise + np.array([1.0, -1.0])
    assert compare_metrics.energy_distance(a, b) == pytest.approx(
        compare_metrics.energy_distance(b, a), rel=1e-12
    )


def test_mmd_of_two_point_masses_has_its_closed_form():
    a, b = np.zeros((4, 2)), np.tile([3.0, 4.0], (6, 1))
    h = 2.0
    assert compare_metrics.mmd_rbf(a, b, bandwidth=h) == pytest.approx(
        2.0 - 2.0 * math.exp(-25.0 / (2 * h * h))
    )


def test_median_bandwidth_is_the_median_pairwise_distance():
    a, b = np.array([[0.0], [1.0]]), np.array([[3.0]])  # distances 1, 3, 2
    assert compare_metrics.median_bandwidth(a, b) == pytest.approx(2.0)


def test_mmd_same_distribution_near_zero_shifted_larger_symmetric():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(400, 2))
    assert compare_metrics.mmd_rbf(a, a) == pytest.approx(0.0, abs=1e-12)
    same = compare_metrics.mmd_rbf(a, rng.normal(size=(400, 2)))
    b = rng.normal(size=(400, 2)) + np.array([1.5, 0.0])
    shifted = compare_metrics.mmd_rbf(a, b)
    assert same < 0.01
    assert shifted > 0.1
    assert compare_metrics.mmd_rbf(b, a) == pytest.approx(shifted, rel=1e-12)
    assert 0.0 <= shifted <= 2.0


@pytest.mark.parametrize("bad", [np.zeros((0, 2)), np.zeros((3, 3)), np.array([[np.nan, 0.0]])])
def test_distances_refuse_empty_mismatched_or_nan_samples(bad):
    with pytest.raises(ValueError, match="Samples must"):
        compare_metrics.energy_distance(np.zeros((3, 2)), bad)
    with pytest.raises(ValueError, match="Samples must"):
        compare_metrics.mmd_rbf(np.zeros((3, 2)), bad)


# --- active units --------------------------------------------------------------------------------
def test_active_units_counts_dimensions_whose_mean_varies_over_the_data():
    rng = np.random.default_rng(4)
    n = 1000
    codes = np.stack(
        [
            rng.normal(0, 1.0, n),  # active
            rng.normal(0, 0.05, n),  # variance 0.0025: inactive
            np.full(n, 3.0),  # constant: inactive
            rng.normal(5, 0.2, n),
        ],
        axis=1,
    )  # variance 0.04: active
    assert compare_metrics.active_units(codes) == 2
    assert compare_metrics.active_units(codes, threshold=0.001) == 3
    assert compare_metrics.active_units(np.zeros((10, 2))) == 0
    assert compare_metrics.active_units(np.ones((1, 2))) == 0  # one point has no variance


# --- scoring -------------------------------------------------------------------------------------
def test_evaluate_matches_the_formulas_and_skips_vae_metrics_for_autoencoders():
    dataset = generate(DataConfig(n_samples=400))
    config = ModelConfig()
    weights = random_weights(config, seed=1)
    x = dataset.values[:150]
    vae_metrics = compare_metrics.evaluate(weights, config, x, dataset.standardizer, n_prior=300, seed=5)
    ae_metrics = compare_metrics.evaluate(
        weights, config.replace(kind="ae"), x, dataset.standardizer, n_prior=300, seed=5
    )
    x_std = dataset.standardizer.transform(x)
    z_mean, z_log_var = encode(weights, x_std)
    x_hat = dataset.standardizer.inverse_transform(decode(weights, z_mean))
    assert vae_metrics.recon_mse == pytest.approx(np.mean((x_hat - x) ** 2), rel=1e-5)
    assert vae_metrics.kl == pytest.approx(np.mean(losses.kl_divergence(z_mean, z_log_var)), rel=1e-5)
    assert vae_metrics.iwae >= vae_metrics.elbo - 1.0  # IWAE is the tighter bound (up to sampling noise)
    _, generated = prior_samples_standardized(weights, 300, seed=5 + 3)
    assert vae_metrics.energy == pytest.approx(compare_metrics.energy_distance(generated, x_std), rel=1e-9)
    assert math.isnan(ae_metrics.kl) and math.isnan(ae_metrics.elbo) and math.isnan(ae_metrics.iwae)
    assert ae_metrics.energy == vae_metrics.energy  # same decoder, same prior samples
    assert vae_metrics.active_units == compare_metrics.active_units(z_mean)
    # The exact log p(x) of the held-out rows (all 150: fewer than EXACT_ROWS), VAEs only.
    assert vae_metrics.exact_log_px == pytest.approx(
        np.mean(exact.log_likelihood(weights, x_std, config.decoder_std).log_px), abs=1e-6
    )
    assert vae_metrics.exact_log_px >= vae_metrics.elbo - 0.5  # one-sample ELBO, noisy, below it
    assert math.isnan(ae_metrics.exact_log_px)


def test_evaluate_has_no_exact_likelihood_above_a_2d_latent():
    dataset = generate(DataConfig(n_samples=200))
    config = ModelConfig(latent_dim=3)
    scores = compare_metrics.evaluate(
        random_weights(config, seed=1), config, dataset.values[:50], dataset.standardizer, n_prior=100
    )
    assert math.isfinite(scores.iwae) and math.isnan(scores.exact_log_px)


def test_prior_samples_standardized_are_seeded():
    weights = random_weights(ModelConfig())
    z1, x1 = prior_samples_standardized(weights, 50, seed=3)
    z2, x2 = prior_samples_standardized(weights, 50, seed=3)
    assert np.array_equal(z1, z2) and np.array_equal(x1, x2)
    assert np.allclose(x1, decode(weights, z1))
    assert not np.array_equal(z1, prior_samples_standardized(weights, 50, seed=4)[0])
