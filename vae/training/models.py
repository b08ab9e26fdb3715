"""Keras 3 autoencoders that share one encoder and one decoder builder.

The variants differ only in how the code is sampled and what the loss adds to
the reconstruction term (as pythae's ``BetaVAE`` overrides only the loss):

- ``ae``: z = mu; loss = reconstruction.
- ``denoising``: the encoder sees x + noise_std * eps; it must reconstruct x.
- ``sparse``: z = mu; loss = reconstruction + sparsity * |mu|_1.
- ``vae``: z = mu + sigma * eps (reparameterization); loss = reconstruction
  + beta * KL(q(z|x) || N(0, I)). beta = 1 is the ELBO; beta > 1 a beta-VAE.

``compile_chunk`` builds the engine's unit of work: one compiled call that trains many optimizer
steps (``vae.training.engine`` says why). This module imports TensorFlow; the Streamlit process
never imports it.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from vae.config import ModelConfig, TrainConfig
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


def _hidden(inputs, units: tuple[int, ...], config: ModelConfig, prefix: str):
    """The hidden Dense layers ``{prefix}_dense_1, _2, ...`` (their names are the weights' layout)."""
    h = inputs
    for i, width in enumerate(units, start=1):
        # Keras 3's "leaky_relu" string uses negative_slope=0.2, as vae.core.decode does.
        h = layers.Dense(width, activation=config.activation, name=f"{prefix}_dense_{i}")(h)
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


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    options = {"learning_rate": config.learning_rate, "global_clipnorm": config.clip_norm}
    if config.optimizer == "sgd":
        options["momentum"] = config.momentum
    return keras.optimizers.get({"class_name": config.optimizer, "config": options})


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


# The loss terms a compiled call sums and returns, in this order.
TERMS = ("loss", "recon", "kl", "penalty")


def _evaluate(model: Autoencoder, x, beta):
    # A fixed noise seed, so validation figures differ only as the model does.
    terms = model.loss_terms(x, beta, training=False, rng_seed=tf.constant([7, 1], tf.int32))
    return tf.stack([terms[k] for k in TERMS])


def compile_evaluate(model: Autoencoder, xla: bool):
    """``evaluate(x, beta)``: the ``TERMS`` of ``model`` on any number of rows, compiled once.

    Without the signature, a run on a reused Trainer with another row count retraced it before
    its first epoch.
    """
    signature = [tf.TensorSpec((None, model.config.input_dim), tf.float32), tf.TensorSpec((), tf.float32)]
    return tf.function(
        lambda x, beta: _evaluate(model, x, beta), input_signature=signature, jit_compile=xla, autograph=False
    )


def compile_chunk(model: Autoencoder, optimizer, with_val: bool, xla: bool):
    """The compiled call ``chunk(batches, betas, n_epochs, n_steps, seed, first_step, x_val, carried)``.

    It trains ``n_epochs`` x ``n_steps`` steps of ``batches`` ((E, S, bs, D), padded under XLA)
    and returns the ``TERMS`` sums of each epoch, the validation ``TERMS`` of each epoch (with
    ``with_val``) and the weights after the last step. ``carried``: the sums of the first
    epoch's steps taken by earlier calls, where its sums start (so an epoch cut into calls adds
    its steps in the same order as one call does: the same float32 sums, whatever the cut).
    """
    variables = model.trainable_variables
    network = [v for layer in dense_layers(model) for v in (layer.kernel, layer.bias)]
    n_terms = len(TERMS)

    def chunk(batches, betas, n_epochs, n_steps, seed, first_step, x_val, carried):
        def one_epoch(e, sums, vals):
            def step(i, totals):
                # Noise seeds (seed, 2 * step): a different, reproducible draw per step.
                rng_seed = tf.stack([seed, 2 * (first_step + e * n_steps + i)])
                with tf.GradientTape() as tape:
                    terms = model.loss_terms(batches[e, i], betas[e], training=True, rng_seed=rng_seed)
                grads = tape.gradient(terms["loss"], variables)
                optimizer.apply_gradients(zip(grads, variables, strict=True))
                return i + 1, totals + tf.stack([terms[k] for k in TERMS])

            start = (tf.constant(0, tf.int32), tf.where(e == 0, carried, tf.zeros_like(carried)))
            _, totals = tf.while_loop(lambda i, _: i < n_steps, step, start)
            sums = sums.write(e, totals)
            if with_val:
                vals = vals.write(e, _evaluate(model, x_val, betas[e]))
            return e + 1, sums, vals

        # Sized by the batches' static first dimension, not by n_epochs: XLA needs a TensorArray's
        # size at compile time, so sizing by n_epochs compiled once per distinct value (4.6 s each
        # on 200 rows: a freeze at the first fused call after epoch 10, another at the budget's
        # last call). Under XLA the batches are padded to one buffer shape: one compile per run.
        size = tf.shape(batches)[0]
        sums = tf.TensorArray(tf.float32, size=size, element_shape=(n_terms,))
        vals = tf.TensorArray(tf.float32, size=size if with_val else 0, element_shape=(n_terms,))
        _, sums, vals = tf.while_loop(
            lambda e, *_: e < n_epochs, one_epoch, (tf.constant(0, tf.int32), sums, vals)
        )
        # The weights come back with the losses: a separate read call would cost
        # another ~0.65 ms of dispatch per call.
        val_out = vals.stack() if with_val else tf.zeros((0, n_terms), tf.float32)
        return sums.stack(), val_out, [tf.identity(v) for v in network]

    d = model.config.input_dim
    scalar = tf.TensorSpec((), tf.int32)
    signature = [
        tf.TensorSpec((None, None, None, d), tf.float32),
        tf.TensorSpec((None,), tf.float32),
        *[scalar] * 4,  # n_epochs, n_steps, seed, first_step
        tf.TensorSpec((None, d), tf.float32),
        tf.TensorSpec((n_terms,), tf.float32),
    ]
    # An explicit while_loop rather than AutoGraph: no dependence on reading
    # this file's source at trace time. One trace serves every chunk shape.
    return tf.function(chunk, input_signature=signature, jit_compile=xla, autograph=False)
