"""Keras 3 autoencoders that share one encoder and one decoder builder.

The variants differ only in how the code is sampled and what the loss adds to
the reconstruction term (as pythae's ``BetaVAE`` overrides only the loss):

- ``ae``: z = mu; loss = reconstruction.
- ``denoising``: the encoder sees x + noise_std * eps; it must reconstruct x.
- ``sparse``: z = mu; loss = reconstruction + sparsity * |mu|_1.
- ``vae``: z = mu + sigma * eps (reparameterization); loss = reconstruction
  + beta * KL(q(z|x) || N(0, I)). beta = 1 is the ELBO; beta > 1 a beta-VAE.

This module imports TensorFlow; the Streamlit process never imports it.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from vae.config import ModelConfig
from vae.core import losses
from vae.core.decode import LOGVAR_MAX, LOGVAR_MIN, NetworkWeights, weights_from_arrays


class Sampling(layers.Layer):
    """Draws z = z_mean + exp(0.5 * z_log_var) * eps with eps ~ N(0, I) (``losses.reparameterize``)."""

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, epsilon=None):
        z_mean, z_log_var = inputs
        if epsilon is None:
            epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return losses.reparameterize(z_mean, z_log_var, epsilon, xp=ops)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def _activation(name: str):
    # Keras 3's "leaky_relu" string uses negative_slope=0.2, as vae.core.decode does.
    return name


def _hidden(inputs, units: tuple[int, ...], config: ModelConfig, prefix: str):
    """The hidden Dense layers ``{prefix}_dense_1, _2, ...`` (their names are the weights' layout)."""
    h = inputs
    for i, width in enumerate(units, start=1):
        h = layers.Dense(width, activation=_activation(config.activation), name=f"{prefix}_dense_{i}")(h)
    return h


def build_encoder(config: ModelConfig) -> keras.Model:
    """x -> (z_mean, z_log_var): shared hidden layers, then two separate heads."""
    inputs = keras.Input(shape=(config.input_dim,), name="x")
    h = _hidden(inputs, config.encoder_units, config, "encoder")
    z_mean = layers.Dense(config.latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(config.latent_dim, name="z_log_var")(h)
    return keras.Model(inputs, [z_mean, z_log_var], name="encoder")


def build_decoder(config: ModelConfig) -> keras.Model:
    """z -> x_mean (the mean of the Gaussian p(x|z); its std is a setting)."""
    inputs = keras.Input(shape=(config.latent_dim,), name="z")
    h = _hidden(inputs, config.decoder_units, config, "decoder")  # first: layers draw seeds in order
    x_mean = layers.Dense(config.input_dim, name="x_mean")(h)
    return keras.Model(inputs, x_mean, name="decoder")


class Autoencoder(keras.Model):
    """An encoder, a decoder and the loss of one variant (``config.kind``)."""

    def __init__(self, config: ModelConfig, seed: int = 0, **kwargs):
        super().__init__(name=kwargs.pop("name", config.kind), **kwargs)
        self.config = config
        self.encoder = build_encoder(config)
        self.decoder = build_decoder(config)
        self.sampling = Sampling(seed=seed, name="sampling")
        self.noise_seed = keras.random.SeedGenerator(seed + 1)

    def build(self, input_shape=None):
        # The encoder and decoder are functional models, built on creation.
        self.built = True

    def encode(self, x):
        z_mean, z_log_var = self.encoder(x)
        return z_mean, ops.clip(z_log_var, LOGVAR_MIN, LOGVAR_MAX)

    def call(self, x):
        """Reconstruction through the posterior mean (no sampling)."""
        return self.decoder(self.encode(x)[0])

    def loss_terms(self, x, beta, training: bool = True, rng_seed=None) -> dict:
        """Batch means of the loss and its parts, in nats per point.

        Args:
            x: a batch of standardized data, (n, D).
            beta: KL weight for this step (warm-up may ramp it); ignored
                unless ``kind == "vae"``.
            training: corrupt inputs (denoising) only while training.
            rng_seed: optional int32 tensor of shape (2,) for stateless noise
                (the engine passes (seed, step): deterministic, and about 1.7x
                faster under XLA than a stateful seed generator).

        Returns:
            dict with ``loss``, ``recon``, ``kl`` (0 for non-variational
            kinds) and ``penalty`` (the sparse L1 term, else 0).
        """
        cfg = self.config

        def normal(shape, offset: int, generator):
            if rng_seed is None:
                return keras.random.normal(shape, seed=generator)
            return tf.random.stateless_normal(shape, seed=rng_seed + tf.constant([0, offset], tf.int32))

        inputs = x
        if cfg.kind == "denoising" and training and cfg.noise_std > 0:
            inputs = x + cfg.noise_std * normal(ops.shape(x), 1, self.noise_seed)
        z_mean, z_log_var = self.encode(inputs)
        zero = ops.zeros_like(z_mean[:, 0])
        if cfg.kind == "vae":
            z = self.sampling(
                [z_mean, z_log_var], epsilon=normal(ops.shape(z_mean), 0, self.sampling.seed_generator)
            )
            kl = losses.kl_divergence(z_mean, z_log_var, xp=ops)
        else:
            z = z_mean
            kl = zero
        recon = losses.reconstruction_loss(x, self.decoder(z), cfg.decoder_std, xp=ops)
        penalty = cfg.sparsity * losses.l1_penalty(z_mean, xp=ops) if cfg.kind == "sparse" else zero
        recon, kl, penalty = ops.mean(recon), ops.mean(kl), ops.mean(penalty)
        loss = recon + penalty + (beta * kl if cfg.kind == "vae" else 0.0)
        return {"loss": loss, "recon": recon, "kl": kl, "penalty": penalty}


def build_model(config: ModelConfig, seed: int = 0) -> Autoencoder:
    """A built (weights created) autoencoder for ``config``."""
    keras.utils.set_random_seed(seed)
    model = Autoencoder(config, seed=seed)
    model(np.zeros((1, config.input_dim), np.float32))
    return model


def dense_layers(model: Autoencoder) -> list:
    """The Dense layers in ``NetworkWeights.arrays()`` order."""
    enc, dec = model.encoder, model.decoder
    n_enc, n_dec = len(model.config.encoder_units), len(model.config.decoder_units)
    return (
        [enc.get_layer(f"encoder_dense_{i}") for i in range(1, n_enc + 1)]
        + [enc.get_layer("z_mean"), enc.get_layer("z_log_var")]
        + [dec.get_layer(f"decoder_dense_{i}") for i in range(1, n_dec + 1)]
        + [dec.get_layer("x_mean")]
    )


def get_network_weights(model: Autoencoder) -> NetworkWeights:
    """Copy the model's weights into NumPy (for the UI, bundles and snapshots)."""
    arrays = [w for layer in dense_layers(model) for w in layer.get_weights()]
    return weights_from_arrays(model.config, arrays)


def set_network_weights(model: Autoencoder, weights: NetworkWeights) -> None:
    """Load NumPy weights into the model; shapes must match its config."""
    arrays = weights.arrays()
    for i, layer in enumerate(dense_layers(model)):
        layer.set_weights(arrays[2 * i : 2 * i + 2])
