"""The training engine: many optimizer steps inside one compiled TensorFlow call.

For networks this small the cost of training is per-call overhead, not
arithmetic (a trivial ``tf.function`` call costs ~650 us, an eager op ~65 us),
so the engine hands TensorFlow shuffled batches as one ``(epochs, steps,
batch_size, D)`` tensor and loops over them inside one compiled function.
Each call trains for about ``CALL_BUDGET_S``: several whole epochs when epochs
are tiny (a few hundred rows), a slice of one epoch when they are long, so
the worker around it answers control messages at least every 0.1 s.
Everything the UI needs comes back as one plain record per epoch.

Randomness is a function of (seed, epoch, step): epoch ``e``'s shuffle is
``default_rng([seed, e])`` and step ``i``'s noise is seeded ``(seed, 2 i)``.
So how the steps are cut into calls changes nothing, and a run continued from
a ``TrainState`` equals an uninterrupted run of the same total length.

Safety rails: gradient-norm clipping, clamped log-variance (in the model), a
copy of the last finite weights restored when a loss turns NaN/Inf or diverges,
and validated settings (lr > 0, epochs >= 1, batch <= rows).

The compiled call itself is ``models.compile_chunk``; when a run stops, ``stop_rules``; the
command line's loop and the validation split, ``fit``.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Any

import numpy as np
import tensorflow as tf

from vae.config import ModelConfig, TrainConfig
from vae.core.decode import NetworkWeights, weights_from_arrays
from vae.runs.run import Record, TrainState
from vae.training.models import (
    TERMS,
    Autoencoder,
    build_model,
    compile_chunk,
    compile_evaluate,
    dense_layers,
    get_network_weights,
    make_optimizer,
    set_network_weights,
)
from vae.training.stop_rules import StopRules

# One intra-op thread: these matmuls are too small to split, and splitting them made
# batch-1024 epochs ~1.7x slower on 2 cores (two trainings at once also get a core
# each). Only possible before TensorFlow's runtime starts; otherwise keep its default.
with contextlib.suppress(RuntimeError):
    tf.config.threading.set_intra_op_parallelism_threads(1)

# XLA compilation costs ~3 s once and then trains ~2.3x faster at batch 128 (measured
# on 2 CPU cores): it repays itself from about a million samples processed. Shorter
# runs (the default two-moons run is ~120,000) start faster without it.
XLA_MIN_SAMPLES = 1_000_000
# Seconds one compiled call aims to train for: the worker checks its control pipe
# between calls, so this keeps Pause/Stop answered within 0.1 s, while fusing
# enough tiny epochs per call to hide the ~0.65 ms dispatch cost of each call.
CALL_BUDGET_S = 0.04
# Until a call has been timed, assume this per step (a default-sized step on one core).
FIRST_STEP_S = 2e-4


def stand_in_rows(model_config: ModelConfig, train_config: TrainConfig) -> np.ndarray:
    """Two batches of standard-normal rows, to trace or call a model before any job's data."""
    shape = (2 * train_config.batch_size, model_config.input_dim)
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


class Trainer:
    """Trains one autoencoder, a compiled call at a time.

    A Trainer can serve several runs of the same architecture and optimizer
    (``compatible``/``begin``): its compiled functions take the data, the
    seed and the step as arguments, so a warm worker process reuses the
    traced graph and the next run's first epoch starts without tracing.

    Args:
        x_train, x_val: (n, D) standardized training rows, and optional validation rows.
        xla: compile with XLA (True), or not (False); None (the default) uses
            XLA when ``train_config.jit_compile`` allows it and the run is long
            enough to repay the compilation (``XLA_MIN_SAMPLES``).
        state: continue from this training state instead of fresh weights.
        epochs: how many epochs this run trains (default: ``train_config.epochs``,
            or until stopped when ``train_config.until_paused``).

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
        state: TrainState | None = None,
        epochs: int | None = None,
    ):
        self.model_config = model_config
        self.train_config = train_config
        self.model: Autoencoder = build_model(model_config, seed=train_config.seed)
        self._initial = {train_config.seed: get_network_weights(self.model)}
        self.optimizer = make_optimizer(train_config)
        self.optimizer.build(self.model.trainable_variables)
        self.xla = self.wants_xla(len(x_train), train_config, epochs) if xla is None else xla
        self._fns: dict[bool, Any] = {}  # the compiled call, without and with validation
        self._timed: set[bool] = set()  # functions called once already (their first call traces)
        self._buffer: tuple[int, int] | None = None  # XLA: the one (epochs, steps) shape it compiles
        self._eval_fn = compile_evaluate(self.model, self.xla)
        self.begin(x_train, train_config, x_val, state=state, epochs=epochs)

    # -- reuse across runs ---------------------------------------------------------------------
    @staticmethod
    def wants_xla(n_rows: int, train_config: TrainConfig, epochs: int | None = None) -> bool:
        """Whether a run is long enough to repay XLA's compilation (open-ended runs start at once)."""
        if not train_config.jit_compile or (epochs is None and train_config.until_paused):
            return False
        n_epochs = train_config.epochs if epochs is None else epochs
        return n_epochs * n_rows >= XLA_MIN_SAMPLES

    def compatible(self, model_config: ModelConfig, train_config: TrainConfig, xla: bool) -> bool:
        """True if ``begin`` can run these settings on this Trainer's compiled functions."""
        mine, theirs = self.train_config, train_config
        return (
            model_config == self.model_config
            and xla == self.xla
            and (mine.batch_size, mine.optimizer, mine.momentum, mine.clip_norm)
            == (theirs.batch_size, theirs.optimizer, theirs.momentum, theirs.clip_norm)
        )

    def begin(
        self,
        x_train: np.ndarray,
        train_config: TrainConfig,
        x_val: np.ndarray | None = None,
        state: TrainState | None = None,
        epochs: int | None = None,
    ) -> None:
        """Start a run on this Trainer: data, schedule, and fresh (or ``state``'s) weights and optimizer.

        Raises:
            ValueError: if the data or the state do not fit the model.
        """
        x_train = np.asarray(x_train, np.float32)
        model_config = self.model_config
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
        self.train_config = train_config
        self.x_train = x_train
        self.x_val = None if x_val is None or len(x_val) == 0 else np.asarray(x_val, np.float32)
        self.n_batches = len(x_train) // train_config.batch_size
        self.beta = model_config.beta  # may change between epochs (set_beta)
        start_weights = self._load(state)
        if epochs is None:
            epochs = None if train_config.until_paused else train_config.epochs
        self.end_epoch = None if epochs is None else self.epoch + epochs
        self.history: list[Record] = []
        self.stop_reason: str | None = None
        self.message = ""
        probe = tf.constant(x_train[:4096])
        initial_loss = float(self._eval_fn(probe, tf.constant(self.beta, tf.float32))[0])
        self.rules = StopRules(initial_loss, start_weights, self.epoch)
        self._seed = tf.constant(train_config.seed, tf.int32)

    def _load(self, state: TrainState | None) -> NetworkWeights:
        """Load fresh (or ``state``'s) weights and optimizer variables; returns the weights."""
        seed = self.train_config.seed
        if state is None:
            if seed not in self._initial:
                self._initial[seed] = get_network_weights(build_model(self.model_config, seed=seed))
            weights = self._initial[seed]
        else:
            weights = state.weights
            if weights.input_dim != self.model_config.input_dim or len(weights.arrays()) != len(
                dense_layers(self.model) * 2
            ):
                raise ValueError(
                    "The saved training state does not fit this model. Received: a state for "
                    f"{weights.input_dim} input columns, model input_dim={self.model_config.input_dim}"
                )
        set_network_weights(self.model, weights)
        variables = self.optimizer.variables
        saved = state.optimizer if state is not None else None
        if saved is not None and [tuple(v.shape) for v in variables] != [np.shape(a) for a in saved]:
            raise ValueError("The saved optimizer state does not fit this optimizer; start a new model.")
        for i, variable in enumerate(variables):
            variable.assign(saved[i] if saved is not None else np.zeros(variable.shape, variable.dtype))
        self.optimizer.learning_rate = self.train_config.learning_rate
        self.epoch = 0 if state is None else state.epoch
        self._step_in_epoch = 0 if state is None else state.step_in_epoch
        self._partial = np.array(getattr(state, "partial", None) or np.zeros(len(TERMS)), np.float32)
        self._partial_seconds = 0.0
        self._step_s = getattr(self, "_step_s", FIRST_STEP_S)
        return weights

    def rewarm(self) -> None:
        """Call each compiled function once more on stand-in rows, so the next run's first call is quick.

        Once another model has been traced in this process, TensorFlow instantiates this one's
        functions again at their next call: measured (load 14, five models traced in advance as a
        warm process traces Compare's) 0.5-1.2 s for the first epoch of each model but the last
        traced, 0.004-0.03 s after a rewarm. The next ``begin`` starts a run afresh.
        """
        x = stand_in_rows(self.model_config, self.train_config)
        for x_val in [None] + ([x] if True in self._fns else []):
            self.begin(x, self.train_config, x_val, epochs=1)
            while not self.done:
                self.run()

    # -- changes while training ----------------------------------------------------------------
    def set_learning_rate(self, learning_rate: float) -> None:
        """Use this learning rate from the next call on (the worker calls it between epochs)."""
        self.train_config = self.train_config.replace(learning_rate=learning_rate)  # validates
        self.optimizer.learning_rate = learning_rate

    def set_beta(self, beta: float) -> None:
        """Use this KL weight from the next epoch on (warm-up then ramps towards it)."""
        self.model_config.replace(beta=beta)  # validates
        self.beta = float(beta)

    @property
    def at_epoch_boundary(self) -> bool:
        return self._step_in_epoch == 0

    @property
    def done(self) -> bool:
        return self.stop_reason is not None

    def weights(self) -> NetworkWeights:
        """The latest finite weights."""
        return self.rules.good_weights

    def state(self) -> TrainState:
        """What a later run needs to continue this one exactly (see ``vae.runs.run.TrainState``)."""
        if self.stop_reason in ("nan", "diverged"):
            return TrainState(self.rules.good_weights, None, self.rules.good_epoch)
        weights = get_network_weights(self.model)
        optimizer = [v.numpy() for v in self.optimizer.variables]
        partial = tuple(float(v) for v in self._partial) if self._step_in_epoch else None
        return TrainState(weights, optimizer, self.epoch, self._step_in_epoch, partial)

    def _plan(self, max_epochs: int | None) -> tuple[int, int]:
        """(epochs, steps per epoch) for the next call: about CALL_BUDGET_S of work."""
        steps = max(1, int(CALL_BUDGET_S / max(self._step_s, 1e-7)))
        if self.xla:
            # XLA compiles once per input shape (~3 s each): fix one padded buffer shape
            # from the first estimate and vary only the loop bounds.
            if self._buffer is None:
                self._buffer = (max(1, steps // self.n_batches), min(steps, self.n_batches))
            max_e, max_s = self._buffer
        else:
            max_e, max_s = steps // self.n_batches, steps
        if not self._timed:  # the first call also traces: one epoch at most, so it reports soon
            max_e = 1
        if self._step_in_epoch == 0 and max_s >= self.n_batches:
            n_epochs = max_e
            if self.end_epoch is not None:
                n_epochs = min(n_epochs, self.end_epoch - self.epoch)
            if max_epochs is not None:
                n_epochs = min(n_epochs, max_epochs)
            return max(n_epochs, 1), self.n_batches
        return 1, min(max_s, self.n_batches - self._step_in_epoch)

    def run(self, max_epochs: int | None = None) -> list[Record]:
        """One compiled call of at most ``max_epochs`` epochs: several tiny epochs, or a slice of a long one.

        Returns:
            The records of the epochs this call completed (none if it trained
            only part of an epoch), oldest first; see ``run_epoch``.
        """
        if self.done:
            raise RuntimeError(f"Training has already stopped ({self.stop_reason}).")
        n_epochs, n_steps = self._plan(max_epochs)
        config, bs, first = self.train_config, self.train_config.batch_size, self._step_in_epoch
        epochs = range(self.epoch + 1, self.epoch + 1 + n_epochs)
        # Epoch e's rows: a permutation seeded (seed, e); its warm-up beta ramps linearly from 0.
        orders = [np.random.default_rng([config.seed, e]).permutation(len(self.x_train)) for e in epochs]
        batches = self.x_train[np.stack(orders)[:, first * bs : (first + n_steps) * bs]]
        batches = batches.reshape(n_epochs, n_steps, bs, -1)
        warmup = config.kl_warmup_epochs
        betas = [self.beta * min(1.0, (e - 1) / warmup) if warmup else self.beta for e in epochs]
        betas = np.array(betas, np.float32)
        if self._buffer is not None:  # XLA: pad to the compiled shape; the loops stop at the real bounds
            more_epochs, more_steps = self._buffer[0] - n_epochs, self._buffer[1] - n_steps
            batches = np.pad(batches, [(0, more_epochs), (0, more_steps), (0, 0), (0, 0)])
            betas = np.pad(betas, (0, more_epochs))
        completes = first + n_steps == self.n_batches
        with_val = completes and self.x_val is not None
        x_val = self.x_val if with_val else np.zeros((0, self.model_config.input_dim), np.float32)
        if with_val not in self._fns:
            self._fns[with_val] = compile_chunk(self.model, self.optimizer, with_val, self.xla)
        start = time.perf_counter()
        sums, vals, weight_tensors = self._fns[with_val](
            tf.constant(batches),
            tf.constant(betas),
            tf.constant(n_epochs, tf.int32),
            tf.constant(n_steps, tf.int32),
            self._seed,
            tf.constant(self.epoch * self.n_batches + first, tf.int32),
            tf.constant(x_val),
            tf.constant(self._partial, tf.float32),
        )
        sums, vals = sums.numpy(), vals.numpy()
        seconds = time.perf_counter() - start
        steps_done = n_epochs * n_steps
        if with_val in self._timed:  # a first call includes tracing: not a measure of speed
            # Exponential average of the time per step, for sizing the next calls.
            self._step_s = 0.5 * self._step_s + 0.5 * seconds / steps_done
        self._timed.add(with_val)
        if not completes:
            self._partial = sums[0].copy()  # the epoch's sums so far (they started from the carried ones)
            self._partial_seconds += seconds
            self._step_in_epoch += n_steps
            return []
        records = []
        for k, epoch in enumerate(epochs):
            totals = sums[k]  # the first epoch's include the sums carried from earlier calls
            epoch_seconds = seconds / n_epochs + (self._partial_seconds if k == 0 else 0.0)
            record: Record = {"epoch": epoch, "beta": float(betas[k])}
            record.update({t: float(v) / self.n_batches for t, v in zip(TERMS, totals, strict=True)})
            if with_val:
                record.update({f"val_{t}": float(v) for t, v in zip(TERMS, vals[k], strict=True)})
            # The settings in force, so changes made while training show in the history.
            record["learning_rate"] = float(self.train_config.learning_rate)
            record["beta_setting"] = float(self.beta)
            record["seconds"] = epoch_seconds
            record["samples_per_s"] = self.n_batches * bs / epoch_seconds if epoch_seconds > 0 else math.inf
            records.append(record)
        self._partial, self._partial_seconds, self._step_in_epoch = np.zeros(len(TERMS), np.float32), 0.0, 0
        self._after_call(records, weight_tensors)
        return records

    def run_epoch(self) -> Record:
        """Train exactly one epoch (in one or more calls) and return its record.

        Returns:
            dict: ``epoch``, ``loss``, ``recon``, ``kl``, ``penalty`` (batch means
            of nats per point), ``beta`` (the KL weight used, after warm-up),
            ``beta_setting`` and ``learning_rate`` (the settings in force), ``seconds``,
            ``samples_per_s`` and ``val_*`` figures when there is validation data.
        """
        while True:
            records = self.run(max_epochs=1)
            if records:
                return records[-1]

    def _after_call(self, records: list[Record], weight_tensors: list) -> None:
        for record in records:
            self.epoch = record["epoch"]
            self.history.append(record)
            arrays = [a.numpy() for a in weight_tensors] if record is records[-1] else None
            weights = None if arrays is None else weights_from_arrays(self.model_config, arrays)
            stop = self.rules.check(record, weights, self.train_config)
            if stop is not None:
                self.stop_reason, self.message = stop
                if self.stop_reason != "early_stopping":  # NaN or divergence: the last finite weights
                    set_network_weights(self.model, self.rules.good_weights)
                    return
            elif self.end_epoch is not None and self.epoch >= self.end_epoch:
                self.stop_reason = "completed"
