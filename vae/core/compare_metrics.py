"""How the Compare page scores a trained model on held-out rows, and the statistics it uses.

Pure NumPy (no Streamlit, no TensorFlow), so every number on the page can be
tested on its own:

- reconstruction MSE (original units and standardized);
- for VAEs: KL, ELBO and the importance-weighted (IWAE, K=64) bound, and with a
  2-D latent the exact log p(x) they bound (``vae.core.exact``);
- how well generation works: decode z ~ N(0, I) and measure how far those
  points are from held-out data (energy distance and MMD², standardized units);
- active latent units (variance over the data of E[z|x] above 0.01);
- training time (``vae.runs.run.Run.train_seconds``).

The table, its plain words and a verdict per model are in ``vae.compare_report``.

Units: losses are nats per point on standardized data (as in ``vae.core.losses``);
distances between samples are in standardized units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vae.config import ModelConfig
from vae.core import exact, losses
from vae.core.decode import NetworkWeights, decode, encode, prior_samples_standardized
from vae.data.dataset import Standardizer

MAX_EVAL_ROWS = 2000  # held-out rows scored; pairwise distances are O(n^2) memory
ACTIVE_UNIT_THRESHOLD = 0.01  # Burda et al. (2016): Cov_x(E[z|x]) > 0.01
EXACT_ROWS = 500  # held-out rows given the exact log p(x): ~1 s for 500 on a 2-core laptop (BENCHMARKS.md)


# --- distances between samples -------------------------------------------------------------------
def _pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of two float64 samples (from ``_check_samples``)."""
    squared = np.sum(a * a, axis=1)[:, None] + np.sum(b * b, axis=1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(squared, 0.0))


def _check_samples(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.atleast_2d(np.asarray(a, np.float64)), np.atleast_2d(np.asarray(b, np.float64))
    if a.shape[1] != b.shape[1] or len(a) == 0 or len(b) == 0:
        raise ValueError(
            f"Samples must be non-empty with the same number of columns. "
            f"Received: shapes {a.shape} and {b.shape}"
        )
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("Samples must be finite. Received: NaN or Inf values")
    return a, b


def energy_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Energy distance between samples (n, D) and (m, D): ``2 E|X-Y| - E|X-X'| - E|Y-Y'|``.

    Computed between the two empirical distributions (V-statistic), so it is
    >= 0, symmetric, and 0 only for identical samples; it is on the scale of
    the data (standardized units here). It sees differences of location,
    spread and shape, and needs no tuning parameter.

    Raises:
        ValueError: for empty, mismatched or non-finite samples.
    """
    a, b = _check_samples(a, b)
    cross = _pairwise_distances(a, b).mean()
    within_a = _pairwise_distances(a, a).mean()
    within_b = _pairwise_distances(b, b).mean()
    return float(max(2.0 * cross - within_a - within_b, 0.0))


def median_bandwidth(a: np.ndarray, b: np.ndarray) -> float:
    """The median heuristic: median distance between distinct points of the pooled sample."""
    a, b = _check_samples(a, b)
    pooled = np.concatenate([a, b])
    d = _pairwise_distances(pooled, pooled)[np.triu_indices(len(pooled), k=1)]
    median = float(np.median(d)) if len(d) else 1.0
    return median if median > 0 else 1.0


def mmd_rbf(a: np.ndarray, b: np.ndarray, bandwidth: float | None = None) -> float:
    """Squared maximum mean discrepancy between samples (n, D) and (m, D), RBF kernel (V-statistic).

    ``MMD² = E k(X,X') + E k(Y,Y') - 2 E k(X,Y)`` with
    ``k(x, y) = exp(-|x-y|² / (2 h²))``; ``h = bandwidth``, by default the median
    heuristic (``median_bandwidth``). Between 0 (same sample) and 2.

    Raises:
        ValueError: for empty, mismatched or non-finite samples, or a bandwidth <= 0.
    """
    a, b = _check_samples(a, b)
    h = median_bandwidth(a, b) if bandwidth is None else float(bandwidth)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"bandwidth must be a positive number. Received: bandwidth={bandwidth!r}")

    def kernel_mean(p: np.ndarray, q: np.ndarray) -> float:
        return float(np.exp(-np.square(_pairwise_distances(p, q)) / (2.0 * h * h)).mean())

    return max(kernel_mean(a, a) + kernel_mean(b, b) - 2.0 * kernel_mean(a, b), 0.0)


def active_units(z_mean: np.ndarray, threshold: float = ACTIVE_UNIT_THRESHOLD) -> int:
    """How many latent dimensions the encoder uses: ``Var_x(E[z|x]) > threshold``.

    The standard AU metric (Burda et al., 2016) of posterior means (n, latent_dim). A
    collapsed VAE dimension encodes every point to (almost) the same mean, so its
    variance over the data is ~0. For plain autoencoders ``E[z|x]`` is just the code.
    """
    z_mean = np.atleast_2d(np.asarray(z_mean, np.float64))
    if len(z_mean) < 2:
        return 0
    return int(np.sum(np.var(z_mean, axis=0) > threshold))


def reference_energy(x_train: np.ndarray, x_test: np.ndarray, n: int, seed: int) -> float:
    """The energy distance a perfect generator would score: real (training) rows vs held-out rows.

    A yardstick for the models' scores: ``n`` random training rows play the
    part of the prior samples, so the value is the metric's noise floor.
    """
    x_train = np.asarray(x_train, np.float64)
    rows = np.random.default_rng(seed).choice(len(x_train), min(n, len(x_train)), replace=False)
    x_test = np.asarray(x_test, np.float64)[:MAX_EVAL_ROWS]
    return energy_distance(x_train[rows], x_test)


# --- scoring a trained model ---------------------------------------------------------------------
@dataclass(frozen=True)
class Metrics:
    """One model's held-out scores (NaN where a metric does not apply); nats are per point."""

    recon_mse: float  # mean squared reconstruction error, original units²
    recon_mse_std: float  # the same on standardized data
    energy: float  # energy distance between decoded prior samples and held-out data
    mmd: float  # MMD² (RBF, median heuristic) between the same two samples
    active_units: int  # latent units with Var_x(E[z|x]) > 0.01
    kl: float = math.nan  # mean KL(q(z|x) || N(0, I)) (VAEs only, as the next three)
    elbo: float = math.nan  # on standardized data
    iwae: float = math.nan  # the IWAE bound with K = 64
    # By quadrature over the 2-D latent plane, on up to EXACT_ROWS held-out rows (2-D latents only).
    exact_log_px: float = math.nan


def evaluate(
    weights: NetworkWeights,
    model_config: ModelConfig,
    x_test: np.ndarray,
    standardizer: Standardizer,
    *,
    n_prior: int = 1000,
    seed: int = 0,
) -> Metrics:
    """Score a trained model on held-out rows (NumPy; no TensorFlow).

    Args:
        model_config: ``kind`` decides which metrics apply; the decoder's std enters the ELBO and IWAE.
        x_test: held-out rows in **original units**, (n, D); at most
            ``MAX_EVAL_ROWS`` are used (a seeded subset).
        n_prior: prior samples to decode for the energy distance and MMD².
        seed: seeds the subset, the ELBO's sample, the IWAE samples and the prior samples.
    """
    x_test = np.asarray(x_test, np.float64)
    if len(x_test) > MAX_EVAL_ROWS:
        rows = np.random.default_rng(seed).choice(len(x_test), MAX_EVAL_ROWS, replace=False)
        x_test = x_test[np.sort(rows)]
    x_std = np.asarray(standardizer.transform(x_test), np.float32)
    z_mean, z_log_var = encode(weights, x_std)
    x_hat_std = decode(weights, z_mean)
    x_hat = standardizer.inverse_transform(x_hat_std)
    likelihoods = (
        _likelihoods(weights, model_config.decoder_std, x_std, (z_mean, z_log_var), seed)
        if model_config.is_variational
        else {}
    )
    _, generated = prior_samples_standardized(weights, n_prior, seed + 3)
    if np.isfinite(generated).all():
        energy, mmd = energy_distance(generated, x_std), mmd_rbf(generated, x_std)
    else:
        energy = mmd = math.nan
    return Metrics(
        recon_mse=float(np.mean(np.square(x_hat - x_test))),
        recon_mse_std=float(np.mean(losses.squared_error(x_std, x_hat_std))),
        energy=energy,
        mmd=mmd,
        active_units=active_units(z_mean),
        **likelihoods,
    )


@dataclass(frozen=True)
class HeldOut:
    """What scoring a model needs besides the model: ``evaluate``'s other arguments.

    A training job carries one (``vae.training.worker.TrainingJob``'s ``held_out``) and its
    process scores the model right after its last epoch, so Compare's models are scored in
    parallel, off the page's process (``evaluate`` there or here gives the same numbers).
    """

    x_test: np.ndarray = field(repr=False)
    standardizer: Standardizer = field(repr=False)
    n_prior: int = 1000
    seed: int = 0

    def score(self, weights: NetworkWeights, model_config: ModelConfig) -> Metrics:
        return evaluate(
            weights, model_config, self.x_test, self.standardizer, n_prior=self.n_prior, seed=self.seed
        )


def _likelihoods(
    weights: NetworkWeights,
    sigma: float,
    x_std: np.ndarray,
    posterior: tuple[np.ndarray, np.ndarray],
    seed: int,
) -> dict[str, float]:
    """A VAE's KL, ELBO, IWAE bound and (2-D latent) exact log p(x) on ``x_std``, by ``Metrics`` field.

    ``sigma`` is the decoder's std; ``posterior`` the encoder's (mean, log-variance) of ``x_std``.
    """
    z_mean, z_log_var = posterior
    scores = {"kl": float(np.mean(losses.kl_divergence(z_mean, z_log_var)))}
    eps = np.random.default_rng(seed + 1).standard_normal(z_mean.shape).astype(np.float32)
    z = losses.reparameterize(z_mean, z_log_var, eps)
    scores["elbo"] = float(np.mean(losses.elbo(x_std, decode(weights, z), z_mean, z_log_var, sigma)))
    scores["iwae"] = float(
        np.mean(
            losses.iwae_bound(
                x_std, lambda zz: decode(weights, zz), z_mean, z_log_var, sigma, k=exact.IWAE_K, seed=seed + 2
            )
        )
    )
    if exact.unavailable_reason(weights) is None:
        rows = np.random.default_rng(seed + 4).permutation(len(x_std))[:EXACT_ROWS]
        scores["exact_log_px"] = float(np.mean(exact.log_likelihood(weights, x_std[rows], sigma).log_px))
    return scores
