"""The exact log-likelihood log p(x) and the true posterior p(z|x), for a 2-D latent.

A VAE trains on a lower bound (the ELBO) because log p(x) = log ∫ p(x|z) p(z) dz
has no closed form. With a 2-D latent it is a 2-D integral, and a grid computes
it to a small, stated error: a log-sum-exp of log p(x|z) + log p(z) over grid
nodes plus the log of the cell area. The same grid, normalized, is the true
posterior p(z|x), which the pad draws beside the encoder's Gaussian q(z|x).

Where the grid goes, per point. The Gaussian q(z|x) alone is not a safe guide:
on a two-moons VAE (200 epochs, sigma_x = 0.1) true posteriors are curved and
often bimodal, with a second mode up to 2.7 units from q's mean, and a grid
spanning q's mean +-16 q-sigmas still missed up to 0.08 nats. So:

1. a coarse grid over the prior's square [-R, R]^2 (spacing ``COARSE_STEP``;
   R = 6, doubled for posteriors that reach its edge), decoded once for all
   points, shows where each posterior has mass;
2. a fine ``FINE_STEPS`` x ``FINE_STEPS`` grid covers the box holding that mass
   (nodes within ``MASS_THRESHOLD`` nats of the peak, plus one coarse cell) and
   q's +-K sigma box (for q narrower than the coarse spacing); the little mass
   outside it is counted at the coarse resolution.

Measured against a 1501 x 1501 grid over [-6, 6]^2 on 200 points of two-moons
VAEs (beta 1 and 4): largest error 0.0045 and 0.0073 nats, mean error 5e-5;
0.012 on the default VAE of ``python -m vae bench --only exact`` (BENCHMARKS.md).
A threshold of 16 nats made the boxes wider and the error 0.037; 33 steps
gave 0.03, 65 steps 0.002 at 1.3x the time. The error stated for each point
adds the change when the fine grid uses every other node (twice the spacing),
the coarse grid's mass outside the fine box and on its outer ring (what may lie
beyond the square); it covered the measured error on 92-95% of the points, and
fell short by at most 0.002 nats on the rest of the two models checked above.

The ELBO here is the analytic one, E_q[log p(x|z)] - KL(q || prior), with the
expectation by quadrature over q's own +-6 sigma grid (not one sample), so the
gap log p(x) - ELBO = KL(q(z|x) || p(z|x)) is exact up to the stated errors,
not noisy. Formulas come from ``vae.core.losses`` (one per quantity); decoding from
``vae.core.decode``. Units: nats per point on standardized data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from vae.core import losses
from vae.core.decode import NetworkWeights, decode, encode

LATENT_DIM = 2  # quadrature on a plane; more dimensions would need K^d nodes
PRIOR_LIMIT = 6.0  # the coarse square's half-width: the prior has 4e-9 of its mass outside
MAX_LIMIT = 12.0  # ...widened for far-out posteriors, never beyond this
COARSE_STEP = 0.125  # coarse spacing: 97 x 97 nodes over [-6, 6]^2
MASS_THRESHOLD = 8.0  # coarse nodes within this many nats of the peak set the fine box (see below)
Q_SIGMAS = 6.0  # the fine box always holds q's mean +- this many q-sigmas
FINE_STEPS = 49  # odd, so every other node is a grid too (the error check)
ELBO_STEPS = 25  # nodes per dimension of the grid over q for E_q[log p(x|z)]
ELBO_SIGMAS = 6.0  # ...spanning q's mean +- this many sigmas
IWAE_K = 64  # importance samples of the IWAE bound shown beside the exact value
CHUNK_ROWS = 1 << 16  # decoder rows per call: bounds memory for wide decoders

# The quadrature runs with BLAS on one thread: its matmuls are small (n x 2 by 2 x 32, ...).
# Measured on a 2-core machine busy with other work: one point took 112 ms with OpenBLAS's two
# threads waiting on each other and 7.5 ms with one; 500 points 6.8 s against 2.9 s. The limit
# costs 0.02 ms per call (threadpoolctl 3.8).
_one_blas_thread = ThreadpoolController().wrap(limits=1, user_api="blas")


@dataclass(frozen=True)
class Quadrature:
    """Exact log p(x) of each point (n,) by quadrature, and the analytic ELBO; nats on standardized data."""

    log_px: np.ndarray
    error: np.ndarray  # estimated absolute error of log_px
    elbo: np.ndarray  # E_q[log p(x|z)] - KL(q(z|x) || N(0, I)), the expectation by quadrature


@dataclass(frozen=True)
class PosteriorGrid:
    """The true posterior p(z|x) of one point on a grid, normalized to integrate to 1."""

    z1: np.ndarray  # (steps,), increasing
    z2: np.ndarray
    density: np.ndarray  # (steps, steps), [row = z2][column = z1]


@dataclass(frozen=True)
class PointTruth:
    """Everything the pages show about one point, in nats: the truth and the bounds on it."""

    log_px: float  # exact, by quadrature
    error: float  # estimated absolute error of log_px
    elbo: float  # analytic, by quadrature
    iwae: float  # the IWAE bound with iwae_k samples
    iwae_k: int
    posterior: PosteriorGrid  # on the fine grid

    @property
    def gap(self) -> float:
        """KL(q(z|x) || p(z|x)) = log p(x) - ELBO (nats)."""
        return self.log_px - self.elbo


def unavailable_reason(weights: NetworkWeights) -> str | None:
    """Why the exact log p(x) cannot be computed for this model (None if it can)."""
    if weights.latent_dim != LATENT_DIM:
        return (
            f"The exact log p(x) is a {LATENT_DIM}-D integral over the latent plane, so it needs "
            f"latent_dim = {LATENT_DIM}; this model has latent_dim = {weights.latent_dim}. "
            f"The IWAE bound (K = {IWAE_K}) stands in for it."
        )
    return None


def _check(weights: NetworkWeights, x_std: np.ndarray, decoder_std: float) -> np.ndarray:
    reason = unavailable_reason(weights)
    if reason:
        raise ValueError(reason)
    if not (math.isfinite(decoder_std) and decoder_std > 0):
        raise ValueError(f"decoder_std must be a positive number. Received: decoder_std={decoder_std!r}")
    x = np.atleast_2d(np.asarray(x_std, np.float64))
    if x.ndim != 2 or x.shape[1] != weights.input_dim:
        raise ValueError(
            f"x_std must have shape (n, {weights.input_dim}) for this model. Received: shape {x.shape}"
        )
    if not np.isfinite(x).all():
        raise ValueError("x_std must be finite. Received: NaN or infinite values")
    return x


def _log_joint(weights: NetworkWeights, x: np.ndarray, z: np.ndarray, decoder_std: float) -> np.ndarray:
    """log p(x|z) + log p(z) for each point's own nodes.

    Args:
        x: (n, D) points.
        z: (n, G, 2) nodes per point, or (G, 2) nodes shared by all points.

    Returns:
        (n, G) nats.
    """
    n, g = x.shape[0], z.shape[-2]
    out = np.empty((n, g))
    rows = max(1, CHUNK_ROWS // g)
    if z.ndim == 2:  # shared nodes: decoded once
        x_hat = np.concatenate([decode(weights, z[i : i + CHUNK_ROWS]) for i in range(0, g, CHUNK_ROWS)])
        log_prior = losses.log_prior(z)
        for i in range(0, n, rows):
            out[i : i + rows] = (
                losses.gaussian_log_likelihood(x[i : i + rows, None], x_hat[None], decoder_std) + log_prior
            )
        return out
    for i in range(0, n, rows):
        nodes = z[i : i + rows]
        x_hat = decode(weights, nodes.reshape(-1, LATENT_DIM)).reshape(*nodes.shape[:2], -1)
        out[i : i + rows] = losses.gaussian_log_likelihood(
            x[i : i + rows, None], x_hat, decoder_std
        ) + losses.log_prior(nodes)
    return out


def _box_grid(low: np.ndarray, high: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's ``steps`` x ``steps`` grid over [low, high]: nodes (n, steps^2, 2) and spacing (n, 2)."""
    t = np.linspace(0.0, 1.0, steps)
    axes = low[:, :, None] + (high - low)[:, :, None] * t  # (n, 2, steps)
    z1 = np.broadcast_to(axes[:, 0, None, :], (len(low), steps, steps))
    z2 = np.broadcast_to(axes[:, 1, :, None], (len(low), steps, steps))
    return np.stack([z1, z2], axis=-1).reshape(len(low), -1, LATENT_DIM), (high - low) / (steps - 1)


def _span(mask: np.ndarray, axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last ``axis`` value where each row of ``mask`` (n, S) is True (rows have one)."""
    first = mask.argmax(axis=1)
    last = mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)
    return axis[first], axis[last]


def _boxes_on_square(
    weights: NetworkWeights,
    x: np.ndarray,
    z_mean: np.ndarray,
    q_reach: np.ndarray,
    decoder_std: float,
    limit: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_fine_boxes`` on the coarse square [-limit, limit]^2; also which posteriors reach its edge."""
    axis = np.linspace(-limit, limit, int(round(2 * limit / COARSE_STEP)) + 1)
    size = len(axis)
    z1, z2 = np.meshgrid(axis, axis)
    nodes = np.stack([z1.ravel(), z2.ravel()], axis=1)
    log_joint = _log_joint(weights, x, nodes, decoder_std)  # (n, size^2), row-major [z2][z1]
    peak = log_joint.max(axis=1, keepdims=True)
    relative = np.exp(log_joint - peak).reshape(-1, size, size)
    significant = relative >= math.exp(-MASS_THRESHOLD)
    along_z1, along_z2 = significant.any(axis=1), significant.any(axis=2)
    low1, high1 = _span(along_z1, axis)
    low2, high2 = _span(along_z2, axis)
    low = np.minimum(np.stack([low1, low2], axis=1) - COARSE_STEP, z_mean - q_reach)
    high = np.maximum(np.stack([high1, high2], axis=1) + COARSE_STEP, z_mean + q_reach)
    inside1 = (axis >= low[:, :1]) & (axis <= high[:, :1])  # (n, size) along z1
    inside2 = (axis >= low[:, 1:]) & (axis <= high[:, 1:])
    inside = inside2[:, :, None] & inside1[:, None, :]
    log_cell = peak[:, 0] + 2 * math.log(COARSE_STEP)
    with np.errstate(divide="ignore"):  # no mass outside: log 0 = -inf is the right answer
        log_outside = np.log(np.where(inside, 0.0, relative).sum(axis=(1, 2))) + log_cell
        ring = relative[:, [0, -1], :].sum(axis=(1, 2)) + relative[:, 1:-1, [0, -1]].sum(axis=(1, 2))
        log_ring = np.log(ring) + log_cell
    at_edge = along_z1[:, [0, -1]].any(axis=1) | along_z2[:, [0, -1]].any(axis=1)
    return low, high, log_outside, log_ring, at_edge


def _fine_boxes(
    weights: NetworkWeights, x: np.ndarray, z_mean: np.ndarray, sigma: np.ndarray, decoder_std: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each point's fine box, from the coarse grid and q, and what the coarse grid sees outside it.

    The coarse square starts at [-6, 6]^2 (wider if a q's box reaches further)
    and grows, for the points whose posterior reaches its edge, up to ``MAX_LIMIT``.

    Returns:
        ``(low (n, 2), high (n, 2), log_outside (n,), log_ring (n,))``: the logs of
        the coarse estimates of the joint's mass outside the box and on the
        square's outer ring.
    """
    # q's box guards a posterior too narrow for the coarse grid; a wide q needs no guard (and a
    # wide, wrong q would only spread the fine nodes thin).
    q_reach = Q_SIGMAS * np.minimum(sigma, COARSE_STEP)
    limit = min(MAX_LIMIT, max(PRIOR_LIMIT, math.ceil(float(np.max(np.abs(z_mean) + q_reach)))))
    todo = np.arange(len(x))
    out = [np.empty((len(x), 2)), np.empty((len(x), 2)), np.empty(len(x)), np.empty(len(x))]
    while len(todo):
        *found, at_edge = _boxes_on_square(weights, x[todo], z_mean[todo], q_reach[todo], decoder_std, limit)
        for whole, part in zip(out, found, strict=True):
            whole[todo] = part
        if limit >= MAX_LIMIT:
            break
        todo, limit = todo[at_edge], min(MAX_LIMIT, 2 * limit)
    return out[0], out[1], out[2], out[3]


def _log_sum(log_values: np.ndarray) -> np.ndarray:
    """log sum exp over the last axis (rows have a finite maximum)."""
    peak = log_values.max(axis=-1)
    return peak + np.log(np.exp(log_values - peak[..., None]).sum(axis=-1))


def _posterior_quadrature(
    weights: NetworkWeights, x: np.ndarray, decoder_std: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fine grids: log p(x), its error, and the grids themselves.

    Returns:
        ``(log_px (n,), error (n,), low (n, 2), high (n, 2), log_joint (n, FINE_STEPS^2))``.
    """
    steps = FINE_STEPS
    z_mean, z_log_var = (np.asarray(a, np.float64) for a in encode(weights, x.astype(np.float32)))
    sigma = losses.posterior_std(z_log_var)
    low, high, log_outside, log_ring = _fine_boxes(weights, x, z_mean, sigma, decoder_std)
    nodes, spacing = _box_grid(low, high, steps)
    log_joint = _log_joint(weights, x, nodes, decoder_std)
    log_area = np.log(spacing).sum(axis=1)
    log_inside = _log_sum(log_joint) + log_area
    every_other = log_joint.reshape(-1, steps, steps)[:, ::2, ::2].reshape(len(x), -1)
    log_inside_coarser = _log_sum(every_other) + log_area + 2 * math.log(2.0)
    # The little mass outside the fine box is counted at the coarse grid's resolution.
    log_px = np.logaddexp(log_inside, log_outside)
    error = (
        np.abs(log_inside - log_inside_coarser)
        + np.log1p(np.exp(log_outside - log_px))
        + np.log1p(np.exp(log_ring - log_px))
    )
    return log_px, error, low, high, log_joint


@_one_blas_thread
def analytic_elbo(weights: NetworkWeights, x_std: np.ndarray, decoder_std: float) -> np.ndarray:
    """E_q[log p(x|z)] - KL(q(z|x) || N(0, I)) of each point of ``x_std`` (n, D), nats.

    The expectation averages log p(x|z) over an ``ELBO_STEPS``^2 grid spanning q's
    mean +- ``ELBO_SIGMAS`` sigmas, weighted by q; the KL is the closed form.
    """
    x = _check(weights, x_std, decoder_std)
    z_mean, z_log_var = (np.asarray(a, np.float64) for a in encode(weights, x.astype(np.float32)))
    sigma = losses.posterior_std(z_log_var)
    nodes, _ = _box_grid(z_mean - ELBO_SIGMAS * sigma, z_mean + ELBO_SIGMAS * sigma, ELBO_STEPS)
    log_q = losses.log_normal(nodes, z_mean[:, None], z_log_var[:, None])
    q_weights = np.exp(log_q - _log_sum(log_q)[:, None])  # sum to 1 per point
    log_px_given_z = _log_joint(weights, x, nodes, decoder_std) - losses.log_prior(nodes)
    return np.sum(q_weights * log_px_given_z, axis=1) - losses.kl_divergence(z_mean, z_log_var)


@_one_blas_thread
def log_likelihood(weights: NetworkWeights, x_std: np.ndarray, decoder_std: float) -> Quadrature:
    """Exact log p(x) of each point by quadrature, with its error and the analytic ELBO.

    Args:
        weights: a network with a 2-D latent (see ``unavailable_reason``).
        x_std: (n, D) or (D,) standardized points.
        decoder_std: sigma_x of the Gaussian decoder p(x|z) (the run's ``ModelConfig``).

    Raises:
        ValueError: if the latent is not 2-D, the shapes do not match, or a
            value is not finite.
    """
    x = _check(weights, x_std, decoder_std)
    log_px, error, *_ = _posterior_quadrature(weights, x, decoder_std)
    return Quadrature(log_px=log_px, error=error, elbo=analytic_elbo(weights, x, decoder_std))


@_one_blas_thread
def point_iwae(
    weights: NetworkWeights, x_std: np.ndarray, decoder_std: float, *, k: int = IWAE_K, seed: int = 0
) -> float:
    """The IWAE bound with ``k`` samples for one point, any latent size (the fallback above 2-D).

    Returns:
        Nats; a lower bound on log p(x) in expectation, tighter as ``k`` grows.
    """
    x = np.atleast_2d(np.asarray(x_std, np.float32))
    z_mean, z_log_var = encode(weights, x)
    bound = losses.iwae_bound(x, lambda z: decode(weights, z), z_mean, z_log_var, decoder_std, k=k, seed=seed)
    return float(bound[0])


@_one_blas_thread
def point_truth(
    weights: NetworkWeights, x_std: np.ndarray, decoder_std: float, *, k: int = IWAE_K, seed: int = 0
) -> PointTruth:
    """One point's exact log p(x), analytic ELBO, IWAE(K) and true posterior p(z|x) (for the pages).

    ``x_std`` is one standardized point, (D,) or (1, D); the posterior integrates to 1 over its grid.
    """
    x = _check(weights, x_std, decoder_std)
    if len(x) != 1:
        raise ValueError(f"Give one point, shape ({weights.input_dim},). Received: {len(x)} points")
    log_px, error, low, high, log_joint = _posterior_quadrature(weights, x, decoder_std)
    z1, z2 = (np.linspace(low[0, i], high[0, i], FINE_STEPS) for i in range(LATENT_DIM))
    # Normalized on the fine grid: the mass outside it, < 1e-5, is left out.
    log_area = math.log((z1[1] - z1[0]) * (z2[1] - z2[0]))
    density = np.exp(log_joint[0] - _log_sum(log_joint[0]) - log_area).reshape(FINE_STEPS, FINE_STEPS)
    return PointTruth(
        log_px=float(log_px[0]),
        error=float(error[0]),
        elbo=float(analytic_elbo(weights, x, decoder_std)[0]),
        iwae=point_iwae(weights, x, decoder_std, k=k, seed=seed),
        iwae_k=int(k),
        posterior=PosteriorGrid(z1=z1, z2=z2, density=density),
    )
