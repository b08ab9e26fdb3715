"""What the Explore page computes: readouts, the pad's extent, paths, prior samples.

Pure NumPy (no Streamlit, no TensorFlow), so every number the page shows can
be tested on its own.

Units: ``z`` lives in the latent plane; ``x`` is returned in the dataset's
**original units** (decoded in standardized units, then un-standardized).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vae.core import losses
from vae.core.decode import NetworkWeights, decode, prior_samples_standardized
from vae.data.dataset import Standardizer

# The pad always shows at least the prior's 3-sigma circle, plus a margin.
MIN_PAD_LIMIT = 3.5
# ...and never more than this, whatever a (badly trained) encoder outputs.
MAX_PAD_LIMIT = 12.0


@dataclass(frozen=True)
class Readout:
    """Everything the page says about one latent point."""

    z: np.ndarray  # the latent point used, after clamping, (latent_dim,)
    clamped: bool  # the requested point was outside the pad (or not finite)
    x: np.ndarray  # the decoder's mean in original units, (D,)
    density: float  # prior density N(z; 0, I)
    log_density: float  # its logarithm (finite even far out)


def pad_limit(z_means: np.ndarray | None) -> float:
    """Half-width L of the square [-L, L]^2 the pad shows, for encoded means (n, 2) or None.

    At least ``MIN_PAD_LIMIT`` (the prior's 3 sigma), enough for the 99th percentile of
    ``|z_means|`` plus 10%, at most ``MAX_PAD_LIMIT``, rounded up to a half unit.
    """
    limit = MIN_PAD_LIMIT
    if z_means is not None and len(z_means):
        z = np.asarray(z_means, np.float64)
        z = z[np.isfinite(z).all(axis=1)]
        if len(z):
            limit = max(limit, 1.1 * float(np.percentile(np.abs(z).max(axis=1), 99)))
    return float(min(MAX_PAD_LIMIT, math.ceil(limit * 2.0) / 2.0))


def clamp_z(z, limit: float) -> tuple[np.ndarray, bool]:
    """Clamp a latent point to the pad's square [-limit, limit]^2; non-finite coordinates become 0.

    Returns:
        ``(z_clamped float64 array, changed)``.
    """
    if not (math.isfinite(limit) and limit > 0):
        raise ValueError(f"limit must be a positive finite number. Received: limit={limit!r}")
    z = np.asarray(z, np.float64).reshape(-1)
    finite = np.where(np.isfinite(z), z, 0.0)
    clamped = np.clip(finite, -limit, limit)
    return clamped, bool(np.any(clamped != z))


def readout(weights: NetworkWeights, standardizer: Standardizer, z, limit: float) -> Readout:
    """Decode one latent point ``z`` (e.g. from the pad), clamped first to the pad's ``limit``.

    Raises:
        ValueError: if ``z`` does not have ``weights.latent_dim`` coordinates.
    """
    z_used, clamped = clamp_z(z, limit)
    if z_used.shape[0] != weights.latent_dim:
        raise ValueError(f"z must have {weights.latent_dim} coordinates. Received: z={list(z_used)}")
    x = standardizer.inverse_transform(decode(weights, z_used.astype(np.float32)[None]))[0]
    log_p = float(losses.log_prior(z_used))
    return Readout(z=z_used, clamped=clamped, x=x, density=math.exp(log_p), log_density=log_p)


def interpolation_path(z_a, z_b, steps: int = 16) -> np.ndarray:
    """Evenly spaced latent points from ``z_a`` to ``z_b`` (both included).

    Raises:
        ValueError: if ``steps < 2``.
    """
    if steps < 2:
        raise ValueError(f"steps must be >= 2. Received: steps={steps}")
    return np.linspace(np.asarray(z_a, np.float64), np.asarray(z_b, np.float64), steps)


def decode_original(weights: NetworkWeights, standardizer: Standardizer, z: np.ndarray) -> np.ndarray:
    """Decode latent points (..., 2) to original units (..., D)."""
    z = np.asarray(z, np.float32)
    flat = decode(weights, z.reshape(-1, z.shape[-1]))
    return standardizer.inverse_transform(flat).reshape(*z.shape[:-1], -1)


def prior_samples_original(
    weights: NetworkWeights, standardizer: Standardizer, n: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Generate like a VAE does: z ~ N(0, I), x = decoder(z), in the data's **original** units.

    The draws of ``vae.core.decode.prior_samples_standardized``, un-standardized.

    Returns:
        ``(z (n, latent_dim), x (n, D) original units)``.

    Raises:
        ValueError: if ``n`` is not in [1, 10000].
    """
    if not 1 <= n <= 10_000:
        raise ValueError(f"n must be in [1, 10000]. Received: n={n}")
    z, x_std = prior_samples_standardized(weights, n, seed)
    return z, standardizer.inverse_transform(x_std)


def display_subset(n_rows: int, max_points: int, seed: int = 0) -> np.ndarray:
    """Sorted row indices to draw: all rows, or a fixed random subset of ``max_points``."""
    if n_rows <= max_points:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=max_points, replace=False))


def refuse_reason(weights: NetworkWeights | None, message: str = "") -> str | None:
    """Why a model cannot be explored, for the user; None if it can.

    ``weights`` are the run's latest (None before the first epoch); the run's own ``message``
    is appended to the reason for non-finite weights.
    """
    if weights is None:
        return "The model has no weights yet: wait for the first epoch to finish."
    if weights.latent_dim != 2:
        return (
            f"The latent pad is a plane, so it needs latent_dim = 2. "
            f"This model has latent_dim = {weights.latent_dim}."
        )
    if not weights.is_finite():
        reason = (
            "This run diverged: its weights are not finite (NaN or infinity), so there is nothing to decode."
        )
        if message:
            reason += f" {message}"
        return reason + " Lower the learning rate or the batch size and train again."
    return None
