"""NumPy forward passes of the encoder and decoder from their weights.

The UI evaluates a trained network on every interaction (a dragged point, a
grid, one data point's posterior), so it must not wait for TensorFlow: these
functions reproduce the Keras layers in NumPy and equal Keras's output within
1e-5 (tested). ``NetworkWeights`` is also the format the training worker sends
back and the latent pad receives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vae.config import ModelConfig

# The encoder's log-variance is clamped to this range before it is used: sigma
# stays in [2.5e-3, 55] so exp() cannot overflow and the KL stays finite.
LOGVAR_MIN = -12.0
LOGVAR_MAX = 8.0

Dense = tuple[np.ndarray, np.ndarray]  # kernel (in, out), bias (out,)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# Same definitions as Keras 3's activations (leaky_relu's default slope is 0.2).
ACTIVATION_FUNCTIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "softplus": lambda x: np.logaddexp(0.0, x),
    "swish": lambda x: x * _sigmoid(x),
}


def _mlp(layers: list[Dense], x: np.ndarray, activation: str) -> np.ndarray:
    act = ACTIVATION_FUNCTIONS[activation]
    for kernel, bias in layers:
        x = act(x @ kernel + bias)
    return x


@dataclass
class NetworkWeights:
    """Weights of an encoder (two heads) and a decoder, as NumPy arrays."""

    encoder: list[Dense]  # hidden layers, input side first
    z_mean: Dense
    z_log_var: Dense  # unused by non-variational kinds
    decoder: list[Dense]  # hidden layers
    x_mean: Dense  # the decoder's linear output layer
    activation: str  # of the hidden layers

    @property
    def input_dim(self) -> int:
        return int(self.x_mean[0].shape[1])

    @property
    def latent_dim(self) -> int:
        return int(self.z_mean[0].shape[1])

    def arrays(self) -> list[np.ndarray]:
        """All arrays in a fixed order (encoder, heads, decoder, output)."""
        out: list[np.ndarray] = []
        for kernel, bias in [*self.encoder, self.z_mean, self.z_log_var, *self.decoder, self.x_mean]:
            out += [kernel, bias]
        return out

    def is_finite(self) -> bool:
        return all(bool(np.isfinite(a).all()) for a in self.arrays())


def weights_from_arrays(config: ModelConfig, arrays: list[np.ndarray]) -> NetworkWeights:
    """Inverse of ``NetworkWeights.arrays()`` for a model of ``config``."""
    pairs = [
        (np.asarray(arrays[i], np.float32), np.asarray(arrays[i + 1], np.float32))
        for i in range(0, len(arrays), 2)
    ]
    n_enc = len(config.encoder_units)
    return NetworkWeights(
        encoder=pairs[:n_enc],
        z_mean=pairs[n_enc],
        z_log_var=pairs[n_enc + 1],
        decoder=pairs[n_enc + 2 : -1],
        x_mean=pairs[-1],
        activation=config.activation,
    )


def encode(weights: NetworkWeights, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(z_mean, z_log_var)`` of q(z|x), each (n, latent_dim), for standardized x (n, D) (or (D,)).

    The log-variance is clamped to [LOGVAR_MIN, LOGVAR_MAX] as in training.
    """
    h = _mlp(weights.encoder, np.asarray(x, np.float32), weights.activation)
    mean = h @ weights.z_mean[0] + weights.z_mean[1]
    log_var = np.clip(h @ weights.z_log_var[0] + weights.z_log_var[1], LOGVAR_MIN, LOGVAR_MAX)
    return mean, log_var


def decode(weights: NetworkWeights, z: np.ndarray) -> np.ndarray:
    """Decoder mean E[x|z] in standardized units, (n, D) for z (n, latent_dim) (or (D,) for (latent_dim,))."""
    h = _mlp(weights.decoder, np.asarray(z, np.float32), weights.activation)
    return h @ weights.x_mean[0] + weights.x_mean[1]


def reconstruct(weights: NetworkWeights, x: np.ndarray) -> np.ndarray:
    """Decode each input's posterior mean (no sampling)."""
    return decode(weights, encode(weights, x)[0])


def latent_grid(low: float = -3.0, high: float = 3.0, steps: int = 21) -> np.ndarray:
    """A square grid of latent points over [low, high]^2, shape (steps * steps, 2), row by row.

    Rows go along z1 first: ``latent_grid(...).reshape(steps, steps, 2)`` is
    the image layout ``[row = z2][column = z1]``.
    """
    axis = np.linspace(low, high, steps, dtype=np.float32)
    zx, zy = np.meshgrid(axis, axis)
    return np.stack([zx.ravel(), zy.ravel()], axis=1)


def prior_samples_standardized(weights: NetworkWeights, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Generate as a VAE does: z ~ N(0, I) (seeded), x = decoder(z), in **standardized** units.

    ``vae.core.explore.prior_samples_original`` gives the same draws in the data's original units.

    Returns:
        ``(z (n, latent_dim) float64, x (n, D) standardized)``.
    """
    z = np.random.default_rng(seed).standard_normal((n, weights.latent_dim))
    return z, decode(weights, z)
