"""Numbers for the Learn page: one data point through the VAE objective, live.

Pure NumPy (no Streamlit, no TensorFlow). Every value comes from the same
functions the app reports elsewhere (``vae.core.decode`` for the forward pass,
``vae.core.losses`` for the terms), so the formulas on the page show the numbers
that training optimizes. Units: nats per point, on standardized data.

Also here: small numeric demonstrations of three classic implementation
mistakes, and LaTeX renderings of the formulas with the numbers plugged in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vae.core import exact, losses
from vae.core.decode import NetworkWeights, decode, encode


@dataclass(frozen=True)
class PointBreakdown:
    """One data point's trip through the encoder, the sampler and the decoder.

    Vectors are 1-D float64 copies: ``x``, ``x_hat`` (D,) in standardized units, the
    posterior q(z|x) = N(z_mean, diag sigma^2) and ``eps``, ``z`` (latent,); ``recon``,
    ``kl`` and ``loss`` are nats for this point.
    """

    index: int  # row of the dataset
    x: np.ndarray
    z_mean: np.ndarray
    z_log_var: np.ndarray
    sigma: np.ndarray
    eps: np.ndarray  # the standard-normal draw; zeros for non-variational models
    z: np.ndarray  # the sampled code mu + sigma * eps
    x_hat: np.ndarray  # the decoder's mean for z
    decoder_std: float
    beta: float
    recon: float  # 0.5 * sum(((x - x_hat) / sigma_x)^2)
    kl: float  # closed-form KL(q(z|x) || N(0, I)); 0 for non-variational models
    kl_per_dim: np.ndarray
    variational: bool = True  # the model samples z (a VAE), or uses z = mu

    @property
    def loss(self) -> float:
        """What training minimizes for this point: recon + beta * KL (nats)."""
        return self.recon + self.beta * self.kl

    @property
    def nll_constant(self) -> float:
        """The reconstruction term's x-independent part, D (log sigma_x + 0.5 log 2 pi)."""
        return losses.gaussian_nll_constant(self.x.shape[0], self.decoder_std)

    @property
    def elbo(self) -> float:
        """The single-sample ELBO estimate on log p(x): -(recon + constant) - KL (nats)."""
        return -(self.recon + self.nll_constant) - self.kl


def point_breakdown(
    weights: NetworkWeights,
    x_std: np.ndarray,
    index: int,
    *,
    seed: int = 0,
    decoder_std: float = 0.1,
    beta: float = 1.0,
    variational: bool = True,
) -> PointBreakdown:
    """Encode, sample (eps drawn from ``seed``), decode and score row ``index`` of ``x_std`` (n, D).

    ``decoder_std`` and ``beta`` come from the run's ``ModelConfig``; ``variational`` is
    False for ae / denoising / sparse models (z = mu, no KL).

    Raises:
        ValueError: if ``index`` is out of range or the data's width does not
            match the network's input.
    """
    x_std = np.asarray(x_std, np.float32)
    n = x_std.shape[0]
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
        raise ValueError(f"index must be an integer in [0, {n - 1}]. Received: index={index!r}")
    if x_std.shape[1] != weights.input_dim:
        raise ValueError(
            f"The data have {x_std.shape[1]} columns but the model expects "
            f"{weights.input_dim}. Received: x_std.shape={x_std.shape}"
        )
    x = x_std[index : index + 1]
    z_mean, z_log_var = encode(weights, x)
    if variational:
        eps = np.random.default_rng(seed).standard_normal((1, weights.latent_dim)).astype(np.float32)
        z = losses.reparameterize(z_mean, z_log_var, eps)
        kl_terms = losses.kl_per_dim(z_mean, z_log_var)
        kl = float(losses.kl_divergence(z_mean, z_log_var)[0])
    else:
        eps = np.zeros_like(z_mean)
        z = z_mean
        kl_terms = np.zeros_like(z_mean)
        kl = 0.0
    x_hat = decode(weights, z)
    recon = float(losses.reconstruction_loss(x, x_hat, decoder_std)[0])
    f64 = lambda a: np.asarray(a, np.float64).reshape(-1)
    return PointBreakdown(
        index=int(index),
        x=f64(x),
        z_mean=f64(z_mean),
        z_log_var=f64(z_log_var),
        sigma=f64(losses.posterior_std(z_log_var)),
        eps=f64(eps),
        z=f64(z),
        x_hat=f64(x_hat),
        decoder_std=float(decoder_std),
        beta=float(beta),
        recon=recon,
        kl=kl,
        kl_per_dim=f64(kl_terms),
        variational=variational,
    )


def kl_per_dimension(weights: NetworkWeights, x_std: np.ndarray) -> np.ndarray:
    """Average KL of each latent dimension over the data, (latent,) nats.

    A dimension whose average KL is near 0 carries no information about x:
    its posterior equals the prior for every point (posterior collapse).
    """
    z_mean, z_log_var = encode(weights, np.asarray(x_std, np.float32))
    return losses.kl_per_dim(z_mean, z_log_var).mean(axis=0).astype(np.float64)


def aggregate_posterior_moments(weights: NetworkWeights, x_std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the aggregate posterior q(z) = average of q(z|x) over the data.

    If a VAE matches its prior, these are near 0 and 1 in every dimension, so
    codes drawn from N(0, I) land where the decoder has seen codes in training.

    Returns:
        ``(mean, variance)``, each (latent,): E[mu] and E[mu^2 + sigma^2] - E[mu]^2.
    """
    z_mean, z_log_var = encode(weights, np.asarray(x_std, np.float32))
    mean = z_mean.mean(axis=0)
    variance = (np.square(z_mean) + np.exp(z_log_var)).mean(axis=0) - np.square(mean)
    return mean.astype(np.float64), variance.astype(np.float64)


# --- three classic mistakes, as numbers -------------------------------------------------------


def shared_head_sigma(z_mean: np.ndarray) -> np.ndarray:
    """The sigma a point would be forced to have if one layer gave both mu and log sigma^2.

    With ``z_log_var = z_mean`` (one head read twice), sigma = exp(mu / 2): a
    point's position decides its uncertainty, so the model cannot place a
    confident code away from the origin, and the KL pulls on both through one weight.
    """
    return np.exp(0.5 * np.asarray(z_mean, np.float64))


def log_identity_mistake(latent_dim: int) -> tuple[np.ndarray, float, float]:
    """``np.log(np.eye(k))`` elementwise versus log det I.

    Returns:
        ``(elementwise_log, its_sum, log_det)``: the matrix has -inf off the
        diagonal, so its sum is -inf, while log det I = 0.
    """
    with np.errstate(divide="ignore"):
        elementwise = np.log(np.eye(latent_dim))
    return elementwise, float(elementwise.sum()), float(np.linalg.slogdet(np.eye(latent_dim))[1])


def kl_general(z_mean: np.ndarray, z_log_var: np.ndarray, *, log_identity_bug: bool = False) -> float:
    """KL(N(mu, diag sigma^2) || N(0, I)) from the general two-Gaussian formula.

    ``0.5 * (tr(S1^-1 S0) + mu^T S1^-1 mu - k + log det S1 - log det S0)`` with
    S1 = I. Correct, it equals the closed form; with ``log_identity_bug`` the
    term log det S1 is written ``sum(log(I))`` elementwise and the result is
    not finite.
    """
    mu = np.asarray(z_mean, np.float64).reshape(-1)
    log_var = np.asarray(z_log_var, np.float64).reshape(-1)
    k = mu.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_det_prior = float(np.log(np.eye(k)).sum()) if log_identity_bug else 0.0
        return float(0.5 * (np.exp(log_var).sum() + mu @ mu - k + log_det_prior - log_var.sum()))


def recon_gradient_wrt_mean(
    weights: NetworkWeights, b: PointBreakdown, *, reparameterized: bool = True, step: float = 1e-2
) -> np.ndarray:
    """d(reconstruction term)/d(mu), by central differences, for the point's eps.

    With the reparameterization z = mu + sigma * eps, moving mu moves z, so the
    reconstruction term sends a gradient to the encoder. If z is drawn by a
    sampler that treats mu and sigma as constants (``np.random.normal(mu,
    sigma)``, a non-reparameterized ``.sample()``), z does not move with mu and
    the gradient is exactly 0.

    Returns:
        (latent,) nats per unit of mu.
    """
    x = b.x[None].astype(np.float32)
    grad = np.zeros_like(b.z_mean)
    for j in range(b.z_mean.shape[0]):
        values = []
        for sign in (1.0, -1.0):
            mu = b.z_mean.copy()
            mu[j] += sign * step
            z = mu + b.sigma * b.eps if reparameterized else b.z  # the bug: z is a constant
            x_hat = decode(weights, z[None].astype(np.float32)).astype(np.float64)
            values.append(float(losses.reconstruction_loss(x, x_hat, b.decoder_std)[0]))
        grad[j] = (values[0] - values[1]) / (2 * step)
    return grad


# --- LaTeX with the numbers plugged in ---------------------------------------------------------


def fmt(value: float, digits: int = 4) -> str:
    """A number for LaTeX: ``digits`` significant digits, a real minus sign, no 'e' notation."""
    if not math.isfinite(value):
        return r"+\infty" if value > 0 else (r"-\infty" if value < 0 else r"\text{NaN}")
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = rf"{mantissa}\times 10^{{{int(exponent)}}}"
    return text


MAX_TERMS = 4  # longer vectors and sums are elided with \ldots so a 64-D point still fits


def _elided(items: list[str], dots: str) -> list[str]:
    return [*items[:MAX_TERMS], dots, items[-1]] if len(items) > MAX_TERMS + 1 else items


def vec(values: np.ndarray, digits: int = 4) -> str:
    """A vector as a LaTeX row tuple, e.g. ``(0.1234,\\ -1.5)``; long ones are elided."""
    return r"(" + r",\ ".join(_elided([fmt(float(v), digits) for v in np.ravel(values)], r"\ldots")) + r")"


def _paren(value: float) -> str:
    text = fmt(value)
    return f"({text})" if text.startswith("-") else text


def _aligned(*rows: str) -> str:
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def latex_posterior(b: PointBreakdown) -> str:
    """The point and its posterior parameters, two per row."""
    return _aligned(
        rf"x &= {vec(b.x)} & \mu &= {vec(b.z_mean)}",
        rf"\log\sigma^2 &= {vec(b.z_log_var)} & \sigma = e^{{\frac12\log\sigma^2}} &= {vec(b.sigma)}",
    )


def latex_reparameterization(b: PointBreakdown) -> str:
    return _aligned(
        r"z &= \mu + \sigma \odot \varepsilon",
        rf"&= {vec(b.z_mean)} + {vec(b.sigma)} \odot {vec(b.eps)}",
        rf"&= {vec(b.z)}",
    )


def _worked_sum(formula: str, factor: str, terms: list[str], total: float) -> str:
    """A sum written three ways: its formula, ``factor`` times the point's terms, its value."""
    shown = " + ".join(_elided(terms, r"\cdots"))
    return _aligned(formula, rf"&= {factor}\left[{shown}\right]", rf"&= {fmt(total)}")


def latex_reconstruction(b: PointBreakdown) -> str:
    return _worked_sum(
        r"\text{recon} &= \tfrac12 \textstyle\sum_d \left(\frac{x_d - \hat x_d}{\sigma_x}\right)^2",
        r"\tfrac12",
        [
            rf"\left(\frac{{{fmt(x)} - {_paren(xh)}}}{{{fmt(b.decoder_std)}}}\right)^2"
            for x, xh in zip(b.x, b.x_hat, strict=True)
        ],
        b.recon,
    )


def latex_kl(b: PointBreakdown) -> str:
    return _worked_sum(
        r"\text{KL} &= -\tfrac12 \textstyle\sum_j \left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right)",
        r"-\tfrac12",
        [
            rf"\left(1 + {_paren(lv)} - {_paren(m)}^2 - {fmt(math.exp(lv))}\right)"
            for m, lv in zip(b.z_mean, b.z_log_var, strict=True)
        ],
        b.kl,
    )


def latex_loss(b: PointBreakdown) -> str:
    return (
        rf"\mathcal{{L}} = \text{{recon}} + \beta\,\text{{KL}} = {fmt(b.recon)} + {fmt(b.beta)}"
        rf" \times {fmt(b.kl)} = {fmt(b.loss)}\ \text{{nats}}"
    )


def latex_elbo(b: PointBreakdown) -> str:
    return _aligned(
        r"\text{ELBO} &= -\left(\text{recon} + D\log\sigma_x + \tfrac{D}{2}\log 2\pi\right) - \text{KL}",
        rf"&= -\left({fmt(b.recon)} + {_paren(b.nll_constant)}\right) - {fmt(b.kl)}"
        rf" = {fmt(b.elbo)}\ \text{{nats}}",
    )


# --- the variational gap -----------------------------------------------------------------------
GAP_SMALL = 0.1  # nats: below this q(z|x) is nearly the true posterior
GAP_LARGE = 1.0  # nats: above this the Gaussian misses much of the posterior's shape


def gap_meaning(gap: float) -> str:
    """One sentence on what a point's gap KL(q(z|x) || p(z|x)) says about its Gaussian posterior."""
    if gap < GAP_SMALL:
        return (
            f"A gap of {gap:.3f} nats is small: the Gaussian q(z|x) is close to the true posterior "
            "here, so the ELBO is nearly log p(x)."
        )
    if gap < GAP_LARGE:
        return (
            f"A gap of {gap:.3f} nats: the Gaussian q(z|x) catches the true posterior's main mass "
            "but not all of its shape."
        )
    return (
        f"A gap of {gap:.3f} nats is large: the Gaussian q(z|x) is a poor fit — the true posterior "
        "is curved, or has several modes — and the ELBO undersells how well the model explains x."
    )


def latex_gap(truth: exact.PointTruth) -> str:
    """log p(x) = ELBO + KL(q || p(z|x)) with the point's numbers, and where the IWAE draw sits."""
    k = truth.iwae_k
    return _aligned(
        r"\log p(x) &= \text{ELBO} + \mathrm{KL}\big(q(z|x)\,\Vert\,p(z|x)\big)",
        rf"{fmt(truth.log_px)} &= {fmt(truth.elbo)} + {fmt(truth.gap)}\ \text{{nats}}",
        rf"\text{{ELBO}} \le \mathbb{{E}}\big[\text{{IWAE}}_{{K}}\big] &\le \log p(x),"
        rf"\qquad \text{{one draw with }} K = {k}\text{{: }} {fmt(truth.iwae)}",
    )
