"""vae.compare: sample distances, active units, the held-out split, scoring, progress, the table.

The distances are checked against closed forms (point masses) and SciPy; the
last tests train real models with ``vae.engine.fit`` (TensorFlow) and are slow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tests.weights import random_weights
from vae import compare, exact, losses
from vae.compare import CompareSpec, Entry, Variant
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import generate
from vae.decode import decode, encode, prior_samples_standardized


# --- energy distance and MMD ---------------------------------------------------------------------
def test_energy_distance_of_two_point_masses_is_twice_their_distance():
    a, b = np.zeros((5, 2)), np.tile([3.0, 4.0], (7, 1))  # |a - b| = 5
    assert compare.energy_distance(a, b) == pytest.approx(10.0)


def test_energy_distance_matches_scipy_in_one_dimension():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 300), rng.normal(0.5, 2, 200)
    # SciPy returns the square root of the same V-statistic.
    assert compare.energy_distance(a[:, None], b[:, None]) == pytest.approx(
        stats.energy_distance(a, b) ** 2, rel=1e-9
    )


def test_energy_distance_is_zero_for_one_sample_and_small_for_one_distribution():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 2))
    assert compare.energy_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    same = compare.energy_distance(a, rng.normal(size=(500, 2)))
    shifted = compare.energy_distance(a, rng.normal(size=(500, 2)) + np.array([1.0, 0.0]))
    assert same < 0.02
    assert shifted > 0.3
    assert shifted > 20 * same


def test_energy_distance_grows_with_the_shift_and_is_symmetric():
    rng = np.random.default_rng(2)
    a, noise = rng.normal(size=(300, 2)), rng.normal(size=(400, 2))
    values = [compare.energy_distance(a, noise + np.array([d, 0.0])) for d in (0.5, 1.0, 2.0, 4.0)]
    assert values == sorted(values)
    b = noise + np.array([1.0, -1.0])
    assert compare.energy_distance(a, b) == pytest.approx(compare.energy_distance(b, a), rel=1e-12)


def test_mmd_of_two_point_masses_has_its_closed_form():
    a, b = np.zeros((4, 2)), np.tile([3.0, 4.0], (6, 1))
    h = 2.0
    assert compare.mmd_rbf(a, b, bandwidth=h) == pytest.approx(2.0 - 2.0 * math.exp(-25.0 / (2 * h * h)))


def test_median_bandwidth_is_the_median_pairwise_distance():
    a, b = np.array([[0.0], [1.0]]), np.array([[3.0]])  # distances 1, 3, 2
    assert compare.median_bandwidth(a, b) == pytest.approx(2.0)


def test_mmd_same_distribution_near_zero_shifted_larger_symmetric():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(400, 2))
    assert compare.mmd_rbf(a, a) == pytest.approx(0.0, abs=1e-12)
    same = compare.mmd_rbf(a, rng.normal(size=(400, 2)))
    b = rng.normal(size=(400, 2)) + np.array([1.5, 0.0])
    shifted = compare.mmd_rbf(a, b)
    assert same < 0.01
    assert shifted > 0.1
    assert compare.mmd_rbf(b, a) == pytest.approx(shifted, rel=1e-12)
    assert 0.0 <= shifted <= 2.0


@pytest.mark.parametrize("bad", [np.zeros((0, 2)), np.zeros((3, 3)), np.array([[np.nan, 0.0]])])
def test_distances_refuse_empty_mismatched_or_nan_samples(bad):
    with pytest.raises(ValueError, match="Samples must"):
        compare.energy_distance(np.zeros((3, 2)), bad)
    with pytest.raises(ValueError, match="Samples must"):
        compare.mmd_rbf(np.zeros((3, 2)), bad)


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
    assert compare.active_units(codes) == 2
    assert compare.active_units(codes, threshold=0.001) == 3
    assert compare.active_units(np.zeros((10, 2))) == 0
    assert compare.active_units(np.ones((1, 2))) == 0  # one point has no variance


# --- variants, spec, split -----------------------------------------------------------------------
def test_variants_differ_only_in_kind_and_their_setting():
    base = ModelConfig(encoder_units=(16,), decoder_units=(16,))
    spec = CompareSpec(
        variants=tuple(Variant(k, noise_std=0.3, sparsity=0.05, beta=4.0) for k in compare.VARIANT_KEYS),
        model=base,
    )
    configs = spec.model_configs()
    assert [c.kind for c in configs.values()] == ["ae", "denoising", "sparse", "vae", "vae"]
    assert configs["denoising"].noise_std == 0.3 and configs["sparse"].sparsity == 0.05
    assert configs["vae"].beta == 1.0 and configs["beta_vae"].beta == 4.0
    assert {c.encoder_units for c in configs.values()} == {(16,)}
    assert [v.label for v in spec.variants] == [
        "Autoencoder",
        "Denoising AE (σ=0.3)",
        "Sparse AE (λ=0.05)",
        "VAE",
        "β-VAE (β=4)",
    ]


def test_spec_validation_names_the_problem():
    with pytest.raises(ValueError, match="key must be one of"):
        Variant("gan")
    with pytest.raises(ValueError, match="beta"):
        Variant("beta_vae", beta=-1.0)
    with pytest.raises(ValueError, match="distinct keys"):
        CompareSpec(variants=(Variant("ae"), Variant("ae")))
    with pytest.raises(ValueError, match="1 to 5"):
        CompareSpec(variants=())
    with pytest.raises(ValueError, match="holdout"):
        CompareSpec(variants=(Variant("ae"),), holdout=0.9)
    with pytest.raises(ValueError, match="validation_split must be 0"):
        CompareSpec(variants=(Variant("ae"),), train=TrainConfig(validation_split=0.1))
    with pytest.raises(ValueError, match="batch_size"):
        CompareSpec(variants=(Variant("ae"),), train=TrainConfig(batch_size=128)).check_against_data(100)


def test_holdout_split_is_seeded_disjoint_and_complete():
    train, test = compare.holdout_split(1000, 0.2, seed=7)
    assert len(train) == 800 and len(test) == 200
    assert np.intersect1d(train, test).size == 0
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(1000))
    again = compare.holdout_split(1000, 0.2, seed=7)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    assert not np.array_equal(test, compare.holdout_split(1000, 0.2, seed=8)[1])
    assert compare.split_sizes(3, 0.1) == (2, 1)  # at least one held-out row


# --- scoring -------------------------------------------------------------------------------------
def test_evaluate_matches_the_formulas_and_skips_vae_metrics_for_autoencoders():
    dataset = generate(DataConfig(n_samples=400))
    config = ModelConfig()
    weights = random_weights(config, seed=1)
    x = dataset.values[:150]
    vae_metrics = compare.evaluate(weights, config, x, dataset.standardizer, n_prior=300, seed=5)
    ae_metrics = compare.evaluate(
        weights, config.replace(kind="ae"), x, dataset.standardizer, n_prior=300, seed=5
    )
    x_std = dataset.standardizer.transform(x)
    z_mean, z_log_var = encode(weights, x_std)
    x_hat = dataset.standardizer.inverse_transform(decode(weights, z_mean))
    assert vae_metrics.recon_mse == pytest.approx(np.mean((x_hat - x) ** 2), rel=1e-5)
    assert vae_metrics.kl == pytest.approx(np.mean(losses.kl_divergence(z_mean, z_log_var)), rel=1e-5)
    assert vae_metrics.iwae >= vae_metrics.elbo - 1.0  # IWAE is the tighter bound (up to sampling noise)
    _, generated = prior_samples_standardized(weights, 300, seed=5 + 3)
    assert vae_metrics.energy == pytest.approx(compare.energy_distance(generated, x_std), rel=1e-9)
    assert math.isnan(ae_metrics.kl) and math.isnan(ae_metrics.elbo) and math.isnan(ae_metrics.iwae)
    assert ae_metrics.energy == vae_metrics.energy  # same decoder, same prior samples
    assert vae_metrics.active_units == compare.active_units(z_mean)
    # The exact log p(x) of the held-out rows (all 150: fewer than EXACT_ROWS), VAEs only.
    assert vae_metrics.exact_log_px == pytest.approx(
        np.mean(exact.log_likelihood(weights, x_std, config.decoder_std).log_px), abs=1e-6
    )
    assert vae_metrics.exact_log_px >= vae_metrics.elbo - 0.5  # one-sample ELBO, noisy, below it
    assert math.isnan(ae_metrics.exact_log_px)


def test_evaluate_has_no_exact_likelihood_above_a_2d_latent():
    dataset = generate(DataConfig(n_samples=200))
    config = ModelConfig(latent_dim=3)
    scores = compare.evaluate(
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


# --- progress and the table ----------------------------------------------------------------------
def test_entry_follows_the_worker_messages():
    weights = random_weights(ModelConfig())
    entry = Entry(Variant("vae"), ModelConfig())
    assert entry.is_active and entry.status == "queued"
    entry.apply({"type": "ready"})
    assert entry.status == "training"
    entry.apply({"type": "epoch", "record": {"epoch": 1, "loss": 3.0, "seconds": 0.25}, "weights": weights})
    entry.apply({"type": "epoch", "record": {"epoch": 2, "loss": 2.0, "seconds": 0.5}, "weights": None})
    assert entry.weights is weights and entry.epochs_done == 2 and entry.train_seconds == pytest.approx(0.75)
    entry.apply({"type": "done", "reason": "completed", "message": ""})
    assert entry.status == "finished" and not entry.is_active
    for reason, status in [("nan", "diverged"), ("stopped", "stopped"), ("early_stopping", "finished")]:
        other = Entry(Variant("ae"), ModelConfig())
        other.apply({"type": "done", "reason": reason, "message": "why"})
        assert (other.status, other.message) == (status, "why")
    failed = Entry(Variant("ae"), ModelConfig())
    failed.apply({"type": "error", "message": "boom"})
    assert (failed.status, failed.message) == ("failed", "boom")


def test_slots_free_respects_the_server_wide_cap():
    assert compare.slots_free(0, 0, 2) == 2
    assert compare.slots_free(1, 1, 2) == 1
    assert compare.slots_free(0, 2, 2) == 0  # another page's training holds both slots
    assert compare.slots_free(2, 3, 2) == 0


# --- training (TensorFlow) -----------------------------------------------------------------------
@pytest.mark.slow
def test_every_variant_trains_and_its_loss_falls():
    from vae.engine import fit

    x = generate(DataConfig(n_samples=256)).standardized()
    spec = CompareSpec(
        variants=tuple(Variant(k) for k in compare.VARIANT_KEYS),
        model=ModelConfig(encoder_units=(16,), decoder_units=(16,)),
        train=TrainConfig(epochs=12, batch_size=32, learning_rate=3e-3),
    )
    for key, config in spec.model_configs().items():
        result = fit(x, config, spec.train)
        losses = [r["loss"] for r in result.history]
        assert result.stop_reason == "completed", key
        assert len(losses) == 12
        assert losses[-1] < 0.5 * losses[0], (key, losses[0], losses[-1])
        assert result.weights.is_finite()


@pytest.mark.slow
def test_on_two_moons_the_vae_generates_closer_to_the_data_than_the_autoencoder():
    """The page's defaults (two moons, seed 0, 60 epochs, 20% held out), the page's metric.

    Energy distance of 1,000 decoded prior samples to the held-out rows, VAE / AE,
    measured over seeds 0-4: 0.28, 0.07, 0.38, 0.20, 0.45. Seed 0 (the default)
    is asserted with the issue's margin (< 0.5); training is deterministic for a seed.
    """
    from vae.engine import fit

    dataset = generate(DataConfig())
    spec = CompareSpec(variants=(Variant("ae"), Variant("vae")))
    train_rows, test_rows = compare.holdout_split(dataset.n_rows, spec.holdout, spec.train.seed)
    x = dataset.standardized()
    scores = {}
    for key, config in spec.model_configs().items():
        result = fit(x[train_rows], config, spec.train)
        scores[key] = compare.evaluate(
            result.weights,
            config,
            dataset.values[test_rows],
            dataset.standardizer,
            n_prior=spec.n_prior,
            seed=spec.train.seed,
        )
    floor = compare.reference_energy(x[train_rows], x[test_rows], spec.n_prior, seed=0)
    assert scores["vae"].energy < 0.5 * scores["ae"].energy, (scores["vae"].energy, scores["ae"].energy)
    assert scores["vae"].mmd < 0.5 * scores["ae"].mmd
    assert floor < scores["vae"].energy  # real data is still closer than any generator
    assert scores["vae"].active_units == 2
    # The bounds sit below the exact log-likelihood they stand in for.
    assert scores["vae"].iwae <= scores["vae"].exact_log_px + 0.01
