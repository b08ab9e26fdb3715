"""Random network weights of the right shapes, without TensorFlow (pages and vae.core.decode never import it)."""

from __future__ import annotations

import itertools

import numpy as np

from vae.config import ModelConfig
from vae.core.decode import NetworkWeights


def random_weights(config: ModelConfig, seed: int = 0) -> NetworkWeights:
    """Glorot-scale kernels and small biases for every layer ``config`` describes, seeded."""
    rng = np.random.default_rng(seed)

    def dense(n_in: int, n_out: int):
        return (
            rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)).astype(np.float32),
            rng.normal(0, 0.1, n_out).astype(np.float32),
        )

    enc_sizes = [config.input_dim, *config.encoder_units]
    dec_sizes = [config.latent_dim, *config.decoder_units]
    return NetworkWeights(
        encoder=[dense(a, b) for a, b in itertools.pairwise(enc_sizes)],
        z_mean=dense(enc_sizes[-1], config.latent_dim),
        z_log_var=dense(enc_sizes[-1], config.latent_dim),
        decoder=[dense(a, b) for a, b in itertools.pairwise(dec_sizes)],
        x_mean=dense(dec_sizes[-1], config.input_dim),
        activation=config.activation,
    )
