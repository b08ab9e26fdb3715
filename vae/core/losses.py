"""The loss terms of autoencoders and VAEs, written once for NumPy and Keras.

Every function takes an array namespace ``xp``: ``numpy`` (the default; used
by the UI, the Learn page and held-out metrics) or ``keras.ops`` (used by the
training engine on tensors), so the numbers shown and the numbers optimized
come from the same formula. Each quantity is written here once, and every
NumPy caller (Learn, Explore, Compare, the exact quadrature, the Train views)
calls these functions instead of retyping them:

- ``posterior_std``: sigma = exp(0.5 * logvar) of q(z|x).
- ``reparameterize``: z = mu + sigma * eps. The Keras ``vae.training.models.Sampling``
  layer calls it with ``xp=keras.ops`` (its NumPy twin is the same function
  with ``xp=numpy``; tests/unit/test_models.py compares the two).
- ``kl_per_dim`` and ``kl_divergence``: KL(q(z|x) || N(0, I)), per latent
  dimension and summed. The training loss (``vae.training.models``) calls
  ``kl_divergence`` with ``xp=keras.ops``; tests/unit/test_losses.py compares
  it with the NumPy twin.

Units: all terms are in **nats per data point** (summed over dimensions,
averaged over points only by the caller), on **standardized** data.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

LOG_2PI = math.log(2.0 * math.pi)


def gaussian_nll_constant(input_dim: int, decoder_std: float) -> float:
    """The part of -log N(x; x_hat, sigma^2 I) that does not depend on x_hat.

    ``D * (log sigma + 0.5 log 2 pi)`` nats. The reported reconstruction term
    leaves it out so that it is zero for a perfect reconstruction; bounds on
    log p(x) (``elbo``, ``iwae_bound``) add it back.
    """
    return input_dim * (math.log(decoder_std) + 0.5 * LOG_2PI)


def reconstruction_loss(x: Any, x_hat: Any, decoder_std: float, xp: ModuleType = np) -> Any:
    """Gaussian reconstruction term of data (n, D) and decoder means (n, D), per point (n,).

    ``0.5 * sum_d ((x_d - x_hat_d) / sigma)^2`` nats: the negative log-likelihood
    of x under N(x_hat, sigma^2 I) without its constant (see
    ``gaussian_nll_constant``).
    """
    return 0.5 * xp.sum(xp.square((x - x_hat) / decoder_std), axis=-1)


def posterior_std(z_log_var: Any, xp: ModuleType = np) -> Any:
    """sigma = exp(0.5 * logvar): the standard deviations of q(z|x), same shape as ``z_log_var``."""
    return xp.exp(0.5 * z_log_var)


def reparameterize(z_mean: Any, z_log_var: Any, eps: Any, xp: ModuleType = np) -> Any:
    """The reparameterization z = mu + exp(0.5 * logvar) * eps, with eps ~ N(0, I) drawn by the caller.

    The posterior's parameters broadcast against ``eps``.
    """
    return z_mean + posterior_std(z_log_var, xp) * eps


def kl_per_dim(z_mean: Any, z_log_var: Any, xp: ModuleType = np) -> Any:
    """KL(N(mu_j, exp(logvar_j)) || N(0, 1)) of each latent dimension j, per point: (n, latent) nats.

    ``-0.5 * (1 + logvar_j - mu_j^2 - exp(logvar_j))``.
    """
    return -0.5 * (1.0 + z_log_var - xp.square(z_mean) - xp.exp(z_log_var))


def kl_divergence(z_mean: Any, z_log_var: Any, xp: ModuleType = np) -> Any:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) in closed form, per point (n,).

    ``-0.5 * sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))`` nats: the sum of
    ``kl_per_dim`` over the latent dimensions (scaling by 0.5 is exact in
    floating point, so the sum is the same number either way round).
    """
    return xp.sum(kl_per_dim(z_mean, z_log_var, xp), axis=-1)


def l1_penalty(code: Any, xp: ModuleType = np) -> Any:
    """Sum of absolute code values per point (the sparse autoencoder's penalty)."""
    return xp.sum(xp.abs(code), axis=-1)


def squared_error(x: Any, x_hat: Any, xp: ModuleType = np) -> Any:
    """Mean squared error per point, averaged over dimensions (standardized units^2)."""
    return xp.mean(xp.square(x - x_hat), axis=-1)


def gaussian_log_likelihood(x: Any, x_hat: Any, decoder_std: float, xp: ModuleType = np) -> Any:
    """log p(x|z) = log N(x; x_hat, sigma^2 I) per point: ``-(reconstruction + constant)`` nats.

    ``x`` (..., D) broadcasts against ``x_hat`` (..., D); the result is (...).
    """
    constant = gaussian_nll_constant(int(x.shape[-1]), decoder_std)
    return -(reconstruction_loss(x, x_hat, decoder_std, xp) + constant)


def elbo(x: Any, x_hat: Any, z_mean: Any, z_log_var: Any, decoder_std: float, xp: ModuleType = np) -> Any:
    """Evidence lower bound on log p(x) per point, from one decoded sample.

    ``-(reconstruction + constant) - KL`` nats (higher is better).
    """
    return gaussian_log_likelihood(x, x_hat, decoder_std, xp) - kl_divergence(z_mean, z_log_var, xp)


def log_normal(x: np.ndarray, mean: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    """log N(x; mean, diag exp(log_var)), summed over the last axis."""
    return -0.5 * np.sum(LOG_2PI + log_var + np.square(x - mean) / np.exp(log_var), axis=-1)


def log_prior(z: np.ndarray) -> np.ndarray:
    """log p(z) = log N(z; 0, I), summed over the last axis."""
    return log_normal(z, np.zeros_like(z), np.zeros_like(z))


def iwae_bound(
    x: np.ndarray,
    decode_fn,
    z_mean: np.ndarray,
    z_log_var: np.ndarray,
    decoder_std: float,
    k: int,
    seed: int = 0,
) -> np.ndarray:
    """Importance-weighted bound on log p(x) with K samples, per point (NumPy).

    ``log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)`` with z_k ~ q(z|x). It is
    >= the ELBO and tightens towards log p(x) as K grows, so it compares models
    more honestly than their training losses.

    Args:
        x: data, (n, D), standardized.
        decode_fn: maps (m, latent) latents to (m, D) decoder means.
        z_mean, z_log_var: posterior parameters, (n, latent).

    Returns:
        Shape (n,), nats per point (higher is better).
    """
    n, latent = z_mean.shape
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal((k, n, latent)).astype(np.float32)
    z = reparameterize(z_mean[None], z_log_var[None], eps)
    x_hat = decode_fn(z.reshape(k * n, latent)).reshape(k, n, -1)
    log_px_z = gaussian_log_likelihood(x[None], x_hat, decoder_std)
    log_pz = log_prior(z)
    log_qz = log_normal(z, z_mean[None], z_log_var[None])
    log_w = log_px_z + log_pz - log_qz
    peak = log_w.max(axis=0)
    return peak + np.log(np.mean(np.exp(log_w - peak), axis=0))
