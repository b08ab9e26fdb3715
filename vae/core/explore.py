"""What the Explore page computes: readouts, densities, ellipses, grids, paths.

Pure NumPy (no Streamlit, no TensorFlow), so every number the page shows can
be tested on its own. The latent pad (``vae/ui/latent_pad``) draws the same
things in the browser; these functions are the reference it is tested against.

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
    """Everything the page says about one latent point.

    Attributes:
        z: the latent point used, after clamping, shape (latent_dim,).
        clamped: True if the requested point was outside the pad (or not finite).
        x_standardized: decoder mean in training units, shape (D,).
        x: the same point in original units, shape (D,).
        density: prior density N(z; 0, I).
        log_density: its logarithm (finite even far out).
    """

    z: np.ndarray
    clamped: bool
    x_standardized: np.ndarray
    x: np.ndarray
    density: float
    log_density: float


def prior_log_density(z: np.ndarray) -> np.ndarray:
    """log N(z; 0, I), summed over the last axis.

    Args:
        z: shape (..., latent_dim).

    Returns:
        Shape (...), natural log of the standard normal density.
    """
    z = np.asarray(z, np.float64)
    d = z.shape[-1]
    return -0.5 * (d * math.log(2.0 * math.pi) + np.sum(np.square(z), axis=-1))


def prior_density(z: np.ndarray) -> np.ndarray:
    """N(z; 0, I) for points of shape (..., latent_dim)."""
    return np.exp(prior_log_density(z))


def pad_limit(z_means: np.ndarray | None) -> float:
    """Half-width of the square the pad shows: the prior's 3 sigma and the encoded data.

    Args:
        z_means: encoded means, (n, 2), or None.

    Returns:
        ``L`` such that the pad shows [-L, L]^2: at least ``MIN_PAD_LIMIT``,
        enough for the 99th percentile of ``|z_means|`` plus 10%, at most
        ``MAX_PAD_LIMIT``, rounded up to a half unit.
    """
    limit = MIN_PAD_LIMIT
    if z_means is not None and len(z_means):
        z = np.asarray(z_means, np.float64)
        z = z[np.isfinite(z).all(axis=1)]
        if len(z):
            limit = max(limit, 1.1 * float(np.percentile(np.abs(z).max(axis=1), 99)))
    return float(min(MAX_PAD_LIMIT, math.ceil(limit * 2.0) / 2.0))


def clamp_z(z, limit: float) -> tuple[np.ndarray, bool]:
    """Clamp a latent point to the pad's square; non-finite coordinates become 0.

    Args:
        z: sequence of floats (anything ``np.asarray`` takes).
        limit: half-width of the square.

    Returns:
        ``(z_clamped float64 array, changed)``.

    Raises:
        ValueError: if ``limit`` is not a positive finite number.
    """
    if not (math.isfinite(limit) and limit > 0):
        raise ValueError(f"limit must be a positive finite number. Received: limit={limit!r}")
    z = np.asarray(z, np.float64).reshape(-1)
    finite = np.where(np.isfinite(z), z, 0.0)
    clamped = np.clip(finite, -limit, limit)
    return clamped, bool(np.any(clamped != z))


def readout(weights: NetworkWeights, standardizer: Standardizer, z, limit: float) -> Readout:
    """Decode one latent point for the page's readout.

    Args:
        weights: the trained network (finite).
        standardizer: the dataset's, to return original units.
        z: the requested latent point (e.g. from the pad), length latent_dim.
        limit: the pad's half-width; ``z`` is clamped to it first.

    Returns:
        A ``Readout``.

    Raises:
        ValueError: if ``z`` does not have ``weights.latent_dim`` coordinates.
    """
    z_used, clamped = clamp_z(z, limit)
    if z_used.shape[0] != weights.latent_dim:
        raise ValueError(f"z must have {weights.latent_dim} coordinates. Received: z={list(z_used)}")
    x_std = decode(weights, z_used.astype(np.float32)[None])[0]
    x = standardizer.inverse_transform(x_std[None])[0]
    log_p = float(prior_log_density(z_used))
    return Readout(
        z=z_used,
        clamped=clamped,
        x_standardized=np.asarray(x_std, np.float64),
        x=x,
        density=math.exp(log_p),
        log_density=log_p,
    )


def ellipse_radii(z_log_var: np.ndarray, k: float) -> np.ndarray:
    """Semi-axes of the k-sigma ellipse of N(mu, diag exp(z_log_var)): ``k * exp(logvar / 2)``."""
    return k * losses.posterior_std(np.asarray(z_log_var, np.float64))


def ellipse(z_mean, z_log_var, k: float = 1.0, n_points: int = 64) -> np.ndarray:
    """The k-sigma contour of a 2-D diagonal Gaussian posterior as a closed polygon.

    The covariance is diagonal, so the ellipse is axis-aligned: every point
    satisfies ``sum(((p - mu) / sigma)^2) == k^2``.

    Args:
        z_mean: posterior mean, (2,).
        z_log_var: posterior log-variance, (2,).
        k: how many standard deviations (1 and 2 on the page).
        n_points: vertices; the first is repeated at the end.

    Returns:
        Shape (n_points + 1, 2).
    """
    radii = ellipse_radii(z_log_var, k)
    angle = np.linspace(0.0, 2.0 * math.pi, n_points + 1)
    unit = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return np.asarray(z_mean, np.float64)[None] + unit * radii[None]


def gaussian_mass_within(k: float, dims: int = 2) -> float:
    """Probability mass of a standard normal inside the k-sigma ball (2-D: 1 - exp(-k^2/2))."""
    if dims != 2:
        raise ValueError(f"only dims=2 has a closed form here. Received: dims={dims}")
    return 1.0 - math.exp(-0.5 * k * k)


def interpolation_path(z_a, z_b, steps: int = 16) -> np.ndarray:
    """Evenly spaced latent points from ``z_a`` to ``z_b`` (both included).

    Raises:
        ValueError: if ``steps < 2``.
    """
    if steps < 2:
        raise ValueError(f"steps must be >= 2. Received: steps={steps}")
    t = np.linspace(0.0, 1.0, steps)[:, None]
    a, b = np.asarray(z_a, np.float64), np.asarray(z_b, np.float64)
    return (1.0 - t) * a[None] + t * b[None]


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


def refuse_reason(weights: NetworkWeights | None, status: str = "", message: str = "") -> str | None:
    """Why a model cannot be explored, for the user; None if it can.

    Args:
        weights: the run's latest weights (None before the first epoch).
        status: the run's status (``"diverged"`` explains NaN weights).
        message: the run's own message, appended when there is one.
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
