"""What the Compare page computes: variants, a held-out split, metrics, progress.

Pure NumPy and pandas (no Streamlit, no TensorFlow), so every number on the
page can be tested on its own. The page trains each ticked variant on the same
training rows, with the same seed, architecture and budget, then scores it
here on the held-out rows:

- reconstruction MSE (original units and standardized);
- for VAEs: KL, ELBO and the importance-weighted (IWAE, K=64) bound, and with a
  2-D latent the exact log p(x) they bound (``vae.exact``);
- how well generation works: decode z ~ N(0, I) and measure how far those
  points are from held-out data (energy distance and MMD², standardized units);
- active latent units (variance over the data of E[z|x] above 0.01);
- training time.

The table, its plain words and a verdict per model are in ``vae.compare_report``.

Units: losses are nats per point on standardized data (as in ``vae.losses``);
distances between samples are in standardized units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vae import exact, losses
from vae.config import ModelConfig, ModelKind, TrainConfig
from vae.data.dataset import Standardizer
from vae.decode import NetworkWeights, decode, encode, prior_samples_standardized

VARIANT_KEYS: tuple[str, ...] = ("ae", "denoising", "sparse", "vae", "beta_vae")
MAX_EVAL_ROWS = 2000  # held-out rows scored; pairwise distances are O(n^2) memory
ACTIVE_UNIT_THRESHOLD = 0.01  # Burda et al. (2016): Cov_x(E[z|x]) > 0.01
IWAE_K = 64
DEFAULT_HOLDOUT = 0.2  # fraction of rows no model trains on
EXACT_ROWS = 500  # held-out rows given the exact log p(x): ~1 s for 500 on a 2-core laptop (BENCHMARKS.md)


# --- what to train -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """One model to train: an autoencoder kind and its one setting.

    Attributes:
        key: one of ``VARIANT_KEYS``; unique within a comparison.
        noise_std: input noise of the denoising autoencoder (standardized units).
        sparsity: L1 weight on the code of the sparse autoencoder.
        beta: KL weight of the beta-VAE (the plain VAE always uses 1).
    """

    key: str
    noise_std: float = 0.2
    sparsity: float = 0.01
    beta: float = 4.0

    def __post_init__(self) -> None:
        if self.key not in VARIANT_KEYS:
            raise ValueError(f"key must be one of {', '.join(VARIANT_KEYS)}. Received: key={self.key!r}")
        # ModelConfig validates the numbers; fail here, naming the variant, not later.
        self.model_config(ModelConfig())

    @property
    def kind(self) -> ModelKind:
        return "vae" if self.key == "beta_vae" else self.key  # type: ignore[return-value]

    @property
    def is_variational(self) -> bool:
        return self.kind == "vae"

    @property
    def label(self) -> str:
        """Short name with the setting that tells variants apart (for titles and the table)."""
        if self.key == "ae":
            return "Autoencoder"
        if self.key == "denoising":
            return f"Denoising AE (σ={self.noise_std:g})"
        if self.key == "sparse":
            return f"Sparse AE (λ={self.sparsity:g})"
        if self.key == "vae":
            return "VAE"
        return f"β-VAE (β={self.beta:g})"

    def model_config(self, base: ModelConfig) -> ModelConfig:
        """``base`` (the shared architecture) with this variant's kind and setting."""
        changes: dict[str, Any] = {"kind": self.kind}
        if self.key == "denoising":
            changes["noise_std"] = self.noise_std
        elif self.key == "sparse":
            changes["sparsity"] = self.sparsity
        elif self.key == "vae":
            changes["beta"] = 1.0
        elif self.key == "beta_vae":
            changes["beta"] = self.beta
        return base.replace(**changes)


@dataclass(frozen=True)
class CompareSpec:
    """A comparison: the variants and everything they share.

    Attributes:
        variants: 1 to 5 variants, distinct keys.
        model: the shared architecture (its ``kind`` and per-kind settings are
            overridden by each variant).
        train: the shared budget, optimizer and seed.
        holdout: fraction of rows kept out of training and used for the metrics.
        n_prior: prior samples decoded per model for the generation metrics.
    """

    variants: tuple[Variant, ...]
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    holdout: float = DEFAULT_HOLDOUT
    n_prior: int = 1000

    def __post_init__(self) -> None:
        if not 1 <= len(self.variants) <= len(VARIANT_KEYS):
            raise ValueError(
                f"variants must list 1 to {len(VARIANT_KEYS)} models. Received: {len(self.variants)} variants"
            )
        keys = [v.key for v in self.variants]
        if len(set(keys)) != len(keys):
            raise ValueError(f"variants must have distinct keys. Received: keys={keys}")
        if not (isinstance(self.holdout, (int, float)) and 0.05 <= self.holdout <= 0.5):
            raise ValueError(f"holdout must be in [0.05, 0.5]. Received: holdout={self.holdout!r}")
        if (
            isinstance(self.n_prior, bool)
            or not isinstance(self.n_prior, int)
            or not 10 <= self.n_prior <= 10_000
        ):
            raise ValueError(
                f"n_prior must be an integer in [10, 10,000]. Received: n_prior={self.n_prior!r}"
            )
        if self.train.validation_split != 0:
            raise ValueError(
                "train.validation_split must be 0: the comparison holds out its own rows. "
                f"Received: validation_split={self.train.validation_split}"
            )

    def model_configs(self) -> dict[str, ModelConfig]:
        """Each variant's full model config, by key, in the order of ``variants``."""
        return {v.key: v.model_config(self.model) for v in self.variants}

    def check_against_data(self, n_rows: int) -> None:
        """Raise ``ValueError`` if ``n_rows`` rows cannot be split and trained on."""
        n_train, n_test = split_sizes(n_rows, self.holdout)
        if n_test < 2:
            raise ValueError(
                f"The held-out part needs at least 2 rows. Received: {n_rows} rows "
                f"with holdout={self.holdout:g}"
            )
        self.train.check_against_data(n_train)


def split_sizes(n_rows: int, holdout: float) -> tuple[int, int]:
    """Rows for training and for held-out evaluation (at least one of each when possible)."""
    n_test = min(max(int(round(n_rows * holdout)), 1), max(n_rows - 1, 0))
    return n_rows - n_test, n_test


def holdout_split(n_rows: int, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of row indices into (train, held-out), each sorted.

    Every variant trains on the same ``train`` rows and is scored on the same
    ``held-out`` rows, so their numbers are comparable.
    """
    _, n_test = split_sizes(n_rows, holdout)
    order = np.random.default_rng(seed).permutation(n_rows)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


# --- distances between samples -------------------------------------------------------------------
def _pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
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
    """Energy distance between two samples: ``2 E|X-Y| - E|X-X'| - E|Y-Y'|``.

    Computed between the two empirical distributions (V-statistic), so it is
    >= 0, symmetric, and 0 only for identical samples; it is on the scale of
    the data (standardized units here). It sees differences of location,
    spread and shape, and needs no tuning parameter.

    Args:
        a: (n, D) points.
        b: (m, D) points.

    Returns:
        The energy distance (a float >= 0).

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
    """Squared maximum mean discrepancy with an RBF kernel (V-statistic).

    ``MMD² = E k(X,X') + E k(Y,Y') - 2 E k(X,Y)`` with
    ``k(x, y) = exp(-|x-y|² / (2 h²))``; ``h`` defaults to the median
    heuristic (``median_bandwidth``). Between 0 (same sample) and 2.

    Args:
        a: (n, D) points.
        b: (m, D) points.
        bandwidth: ``h``; None for the median heuristic.

    Returns:
        MMD² (a float >= 0).

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

    The standard AU metric (Burda et al., 2016). A collapsed VAE dimension
    encodes every point to (almost) the same mean, so its variance over the
    data is ~0. For plain autoencoders ``E[z|x]`` is just the code.

    Args:
        z_mean: (n, latent_dim) posterior means (or codes) over a dataset.
        threshold: the variance a unit must exceed.

    Returns:
        The number of active units, in [0, latent_dim].
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
    """One model's held-out scores (NaN where a metric does not apply).

    Attributes:
        recon_mse: mean squared reconstruction error, original units².
        recon_mse_std: the same on standardized data (units of the data's std²).
        kl: mean KL(q(z|x) || N(0, I)), nats per point (VAEs only).
        elbo: mean ELBO, nats per point on standardized data (VAEs only).
        iwae: mean IWAE bound with K=64, nats per point (VAEs only).
        energy: energy distance between decoded prior samples and held-out data.
        mmd: MMD² (RBF, median heuristic) between the same two samples.
        active_units: latent units with Var_x(E[z|x]) > 0.01.
        exact_log_px: mean exact log p(x) by quadrature over the 2-D latent plane, nats per
            point, on up to ``EXACT_ROWS`` of the held-out rows (VAEs with a 2-D latent only).
    """

    recon_mse: float
    recon_mse_std: float
    kl: float
    elbo: float
    iwae: float
    energy: float
    mmd: float
    active_units: int
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
        weights: the trained network.
        model_config: its config (``kind`` decides which metrics apply; the
            decoder's std enters the ELBO and IWAE).
        x_test: held-out rows in **original units**, (n, D); at most
            ``MAX_EVAL_ROWS`` are used (a seeded subset).
        standardizer: the dataset's.
        n_prior: prior samples to decode for the energy distance and MMD².
        seed: seeds the subset, the ELBO's sample, the IWAE samples and the prior samples.

    Returns:
        A ``Metrics``.
    """
    x_test = np.asarray(x_test, np.float64)
    if len(x_test) > MAX_EVAL_ROWS:
        rows = np.random.default_rng(seed).choice(len(x_test), MAX_EVAL_ROWS, replace=False)
        x_test = x_test[np.sort(rows)]
    x_std = np.asarray(standardizer.transform(x_test), np.float32)
    z_mean, z_log_var = encode(weights, x_std)
    x_hat_std = decode(weights, z_mean)
    x_hat = standardizer.inverse_transform(x_hat_std)
    recon_mse = float(np.mean(np.square(x_hat - x_test)))
    recon_mse_std = float(np.mean(losses.squared_error(x_std, x_hat_std)))

    kl = elbo = iwae = exact_log_px = math.nan
    if model_config.is_variational:
        sigma = model_config.decoder_std
        kl = float(np.mean(losses.kl_divergence(z_mean, z_log_var)))
        eps = np.random.default_rng(seed + 1).standard_normal(z_mean.shape).astype(np.float32)
        z = losses.reparameterize(z_mean, z_log_var, eps)
        elbo = float(np.mean(losses.elbo(x_std, decode(weights, z), z_mean, z_log_var, sigma)))
        iwae = float(
            np.mean(
                losses.iwae_bound(
                    x_std, lambda zz: decode(weights, zz), z_mean, z_log_var, sigma, k=IWAE_K, seed=seed + 2
                )
            )
        )
        if exact.unavailable_reason(weights) is None:
            rows = np.random.default_rng(seed + 4).permutation(len(x_std))[:EXACT_ROWS]
            exact_log_px = float(np.mean(exact.log_likelihood(weights, x_std[rows], sigma).log_px))

    _, generated = prior_samples_standardized(weights, n_prior, seed + 3)
    if np.isfinite(generated).all():
        energy, mmd = energy_distance(generated, x_std), mmd_rbf(generated, x_std)
    else:
        energy = mmd = math.nan
    return Metrics(
        recon_mse=recon_mse,
        recon_mse_std=recon_mse_std,
        kl=kl,
        elbo=elbo,
        iwae=iwae,
        energy=energy,
        mmd=mmd,
        active_units=active_units(z_mean),
        exact_log_px=exact_log_px,
    )


# --- one model's progress ------------------------------------------------------------------------
ACTIVE_STATUSES = ("queued", "starting", "training")


@dataclass
class Entry:
    """One variant of a comparison as the page tracks it (plain data, no job handle).

    Attributes:
        variant: what is trained.
        model_config: its full config.
        status: ``queued`` -> ``starting`` -> ``training`` -> ``finished`` |
            ``stopped`` | ``diverged`` | ``failed``.
        history: the worker's epoch records.
        weights: the latest finite weights (None before the first snapshot).
        message: why it stopped, or what it waits for.
        metrics: held-out scores, once finished.
    """

    variant: Variant
    model_config: ModelConfig
    status: str = "queued"
    history: list[dict[str, Any]] = field(default_factory=list)
    weights: NetworkWeights | None = None
    message: str = ""
    metrics: Metrics | None = None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def train_seconds(self) -> float:
        """Time spent in training epochs (excludes starting TensorFlow and compiling)."""
        return float(sum(r.get("seconds", 0.0) for r in self.history))

    @property
    def epochs_done(self) -> int:
        return int(self.history[-1]["epoch"]) if self.history else 0

    def apply(self, message: dict[str, Any]) -> None:
        """Update from one ``TrainingJob.poll()`` message."""
        kind = message.get("type")
        if kind == "ready":
            self.status = "training"
        elif kind == "epoch":
            self.status = "training"
            self.history.append(dict(message["record"]))
            if message.get("weights") is not None:
                self.weights = message["weights"]
        elif kind == "done":
            reason = message.get("reason", "completed")
            self.status = {"nan": "diverged", "diverged": "diverged", "stopped": "stopped"}.get(
                reason, "finished"
            )
            self.message = message.get("message", "")
        elif kind == "error":
            self.status = "failed"
            self.message = message.get("message", "The training process failed.")


def slots_free(own_running: int, server_running: int, cap: int) -> int:
    """How many queued models may start now under a server-wide cap of ``cap`` trainings."""
    return max(0, cap - max(own_running, server_running))
