"""The training engine: a whole epoch inside one compiled TensorFlow call.

For networks this small the cost of training is per-call overhead, not
arithmetic (a trivial ``tf.function`` call costs ~650 us, an eager op ~65 us),
so the engine hands TensorFlow a whole shuffled epoch as one ``(batches,
batch_size, D)`` tensor and loops over it inside one XLA-compiled function.
Everything the UI needs comes back as one plain record per epoch.

Safety rails: gradient-norm clipping, clamped log-variance (in the model), a
copy of the last finite weights restored when a loss turns NaN/Inf or diverges,
and validated settings (lr > 0, epochs >= 1, batch <= rows).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from vae.config import ModelConfig, TrainConfig
from vae.decode import NetworkWeights, weights_from_arrays
from vae.models import Autoencoder, build_model, dense_layers, get_network_weights, set_network_weights

# One intra-op thread: these matmuls are too small to split, and splitting them made
# batch-1024 epochs ~1.7x slower on 2 cores (two trainings at once also get a core
# each). Only possible before TensorFlow's runtime starts; otherwise keep its default.
with contextlib.suppress(RuntimeError):
    tf.config.threading.set_intra_op_parallelism_threads(1)

# A loss this many times the untrained model's (and above DIVERGENCE_FLOOR)
# means the optimizer is ascending, not descending.
DIVERGENCE_FACTOR = 100.0
DIVERGENCE_FLOOR = 1e4
# XLA compilation costs ~3 s once and then trains ~2.3x faster at batch 128 (measured
# on 2 CPU cores): it repays itself from about a million samples processed. Shorter
# runs (the default two-moons run is ~120,000) start faster without it.
XLA_MIN_SAMPLES = 1_000_000

TERMS = ("loss", "recon", "kl", "penalty")

Record = dict[str, Any]


@dataclass
class TrainResult:
    """What ``fit`` returns: the history, the final (finite) weights and why it stopped."""

    history: list[Record]
    weights: NetworkWeights
    stop_reason: str
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def split_data(x: np.ndarray, config: TrainConfig) -> tuple[np.ndarray, np.ndarray | None]:
    """Seeded train/validation split of the rows of ``x``."""
    x = np.asarray(x, np.float32)
    config.check_against_data(len(x))
    _, n_val = config.split_sizes(len(x))
    if n_val == 0:
        return x, None
    order = np.random.default_rng(config.seed).permutation(len(x))
    return x[order[n_val:]], x[order[:n_val]]


def make_optimizer(config: TrainConfig):
    import keras

    common = {"learning_rate": config.learning_rate, "global_clipnorm": config.clip_norm}
    if config.optimizer == "adam":
        return keras.optimizers.Adam(**common)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(**common)
    return keras.optimizers.SGD(momentum=config.momentum, **common)


class Trainer:
    """Trains one autoencoder an epoch at a time.

    Args:
        x_train: (n, D) standardized training data.
        model_config: the architecture and objective.
        train_config: the optimizer, budget and schedule.
        x_val: optional (m, D) standardized validation data.
        xla: compile with XLA (True), or not (False); None (the default) uses
            XLA when ``train_config.jit_compile`` allows it and the run is long
            enough to repay the compilation (``XLA_MIN_SAMPLES``).

    Raises:
        ValueError: if the settings do not fit the data.
    """

    def __init__(
        self,
        x_train: np.ndarray,
        model_config: ModelConfig,
        train_config: TrainConfig,
        x_val: np.ndarray | None = None,
        xla: bool | None = None,
    ):
        x_train = np.asarray(x_train, np.float32)
        if x_train.ndim != 2 or x_train.shape[1] != model_config.input_dim:
            raise ValueError(
                f"x_train must have shape (n, {model_config.input_dim}). Received: shape={x_train.shape}"
            )
        if not np.isfinite(x_train).all():
            raise ValueError("x_train must be finite. Received: NaN or Inf values")
        if train_config.batch_size > len(x_train):
            raise ValueError(
                f"batch_size must not exceed the {len(x_train):,} training rows. "
                f"Received: batch_size={train_config.batch_size}"
            )
        self.model_config = model_config
        self.train_config = train_config
        self.x_train = x_train
        self.x_val = None if x_val is None or len(x_val) == 0 else np.asarray(x_val, np.float32)
        self.model: Autoencoder = build_model(model_config, seed=train_config.seed)
        self.optimizer = make_optimizer(train_config)
        self.optimizer.build(self.model.trainable_variables)
        self.rng = np.random.default_rng(train_config.seed)
        self.n_batches = len(x_train) // train_config.batch_size
        samples = train_config.epochs * self.n_batches * train_config.batch_size
        self.xla = (train_config.jit_compile and samples >= XLA_MIN_SAMPLES) if xla is None else xla
        self.epoch = 0
        self.history: list[Record] = []
        self.stop_reason: str | None = None
        self.message = ""
        self._good_weights = get_network_weights(self.model)
        # The untrained model's loss: divergence is judged against it, since a bad
        # learning rate can make even the first epoch's mean loss astronomical.
        probe = tf.constant(x_train[:4096])
        self.initial_loss = float(self._evaluate(probe, tf.constant(model_config.beta, tf.float32))[0])
        self._best = math.inf
        self._since_best = 0
        self._seed = tf.constant(train_config.seed, tf.int32)
        self._epoch_fn = self._compile_epoch()
        self._eval_fn = tf.function(self._evaluate, jit_compile=self.xla, autograph=False)

    def _compile_epoch(self):
        model, optimizer = self.model, self.optimizer
        variables = model.trainable_variables
        network = [v for layer in dense_layers(model) for v in (layer.kernel, layer.bias)]

        def epoch(batches, beta, first_step):
            n_batches = tf.shape(batches)[0]

            def step(i, totals):
                # Noise seeds (seed, 2 * step): a different, reproducible draw per step.
                rng_seed = tf.stack([self._seed, 2 * (first_step + i)])
                with tf.GradientTape() as tape:
                    terms = model.loss_terms(batches[i], beta, training=True, rng_seed=rng_seed)
                grads = tape.gradient(terms["loss"], variables)
                optimizer.apply_gradients(zip(grads, variables, strict=True))
                return i + 1, totals + tf.stack([terms[k] for k in TERMS])

            start = (tf.constant(0, tf.int32), tf.zeros((len(TERMS),), tf.float32))
            _, totals = tf.while_loop(lambda i, _: i < n_batches, step, start)
            # The epoch's weights come back with its losses: a separate read call
            # would cost another ~0.65 ms of dispatch per epoch.
            return totals / tf.cast(n_batches, tf.float32), [tf.identity(v) for v in network]

        # An explicit while_loop rather than AutoGraph: no dependence on reading
        # this file's source at trace time.
        return tf.function(epoch, jit_compile=self.xla, autograph=False)

    def _evaluate(self, x, beta):
        # A fixed noise seed, so validation figures differ only as the model does.
        terms = self.model.loss_terms(x, beta, training=False, rng_seed=tf.constant([7, 1], tf.int32))
        return tf.stack([terms[k] for k in TERMS])

    def beta_at(self, epoch: int) -> float:
        """KL weight for 1-based ``epoch`` (linear warm-up from 0 when set)."""
        beta = self.model_config.beta
        warmup = self.train_config.kl_warmup_epochs
        if warmup > 0:
            return beta * min(1.0, (epoch - 1) / warmup)
        return beta

    @property
    def done(self) -> bool:
        return self.stop_reason is not None

    def weights(self) -> NetworkWeights:
        """The latest finite weights."""
        return self._good_weights

    def run_epoch(self) -> Record:
        """Train one epoch and return its record.

        Returns:
            dict: ``epoch``, ``loss``, ``recon``, ``kl``, ``penalty`` (batch means
            of nats per point), ``beta``, ``seconds``, ``samples_per_s`` and
            ``val_*`` figures when there is validation data.
        """
        if self.done:
            raise RuntimeError(f"Training has already stopped ({self.stop_reason}).")
        start = time.perf_counter()
        epoch = self.epoch + 1
        beta = self.beta_at(epoch)
        bs = self.train_config.batch_size
        order = self.rng.permutation(len(self.x_train))[: self.n_batches * bs]
        batches = self.x_train[order].reshape(self.n_batches, bs, -1)
        first_step = tf.constant(self.n_batches * self.epoch, tf.int32)
        values, weight_tensors = self._epoch_fn(
            tf.constant(batches), tf.constant(beta, tf.float32), first_step
        )
        values = values.numpy()
        record: Record = {"epoch": epoch, "beta": beta}
        record.update({k: float(v) for k, v in zip(TERMS, values, strict=True)})
        if self.x_val is not None:
            val = self._eval_fn(tf.constant(self.x_val), tf.constant(beta, tf.float32)).numpy()
            record.update({f"val_{k}": float(v) for k, v in zip(TERMS, val, strict=True)})
        seconds = time.perf_counter() - start
        record["seconds"] = seconds
        record["samples_per_s"] = self.n_batches * bs / seconds if seconds > 0 else math.inf
        self.epoch = epoch
        self._after_epoch(record, weight_tensors)
        self.history.append(record)
        return record

    def _after_epoch(self, record: Record, weight_tensors: list) -> None:
        finite = all(math.isfinite(v) for k, v in record.items() if k.endswith(TERMS))
        weights = None
        if finite:
            weights = weights_from_arrays(self.model_config, [a.numpy() for a in weight_tensors])
        if weights is None or not weights.is_finite():
            self._stop(
                "nan",
                f"The loss became NaN or infinite at epoch {record['epoch']}; the "
                f"weights from the last good epoch were kept. Try a lower learning "
                f"rate (now {self.train_config.learning_rate:g}) or standardize the data.",
            )
            return
        first = self.initial_loss
        if record["loss"] > max(DIVERGENCE_FACTOR * abs(first), DIVERGENCE_FLOOR):
            self._stop(
                "diverged",
                f"The loss grew from {first:.3g} to {record['loss']:.3g} by epoch "
                f"{record['epoch']}: training diverged, so it was stopped and the "
                f"last good weights were kept. Try a lower learning rate.",
            )
            return
        self._good_weights = weights
        monitor = record.get("val_loss", record["loss"])
        if monitor < self._best - 1e-6:
            self._best, self._since_best = monitor, 0
        else:
            self._since_best += 1
        patience = self.train_config.early_stopping_patience
        if patience and self._since_best >= patience:
            self.stop_reason = "early_stopping"
            self.message = f"Stopped early at epoch {record['epoch']}: no improvement for {patience} epochs."
        elif self.epoch >= self.train_config.epochs:
            self.stop_reason = "completed"

    def _stop(self, reason: str, message: str) -> None:
        self.stop_reason, self.message = reason, message
        set_network_weights(self.model, self._good_weights)


def fit(
    x_train: np.ndarray,
    model_config: ModelConfig,
    train_config: TrainConfig,
    x_val: np.ndarray | None = None,
    on_epoch: Callable[[Record], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainResult:
    """Train until done (epochs, early stopping, NaN or divergence) or ``should_stop()``.

    Args:
        on_epoch: called with each epoch's record.
        should_stop: polled between epochs; True stops with reason "stopped".
    """
    trainer = Trainer(x_train, model_config, train_config, x_val)
    while not trainer.done:
        if should_stop is not None and should_stop():
            trainer.stop_reason = "stopped"
            break
        record = trainer.run_epoch()
        if on_epoch is not None:
            on_epoch(record)
    return TrainResult(trainer.history, trainer.weights(), trainer.stop_reason or "stopped", trainer.message)
