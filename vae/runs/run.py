"""A training run: settings, history, latest weights, status -- and the one place that turns a
training job's messages into them.

Plain data (no TensorFlow, no Streamlit). ``Run.apply`` reads one message of
``vae.training.worker.TrainingJob.poll()`` (``Run.drain`` all of a job's new ones); the
Train page (``vae.ui.training``), Compare's queue (``vae.training.scheduler``) and the
command line (``Run.end`` with the engine's stop reason) all go through it.
Explore / Compare / Learn read runs, bundles save them, ``vae.runs.session_runs``
keeps the earlier ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core.compare_metrics import Metrics
from vae.core.decode import NetworkWeights
from vae.core.snapshots import SnapshotStore

# "Still falling": the mean loss of the last quarter of the run is this much below the
# quarter before it (relative). 1% per quarter-run means ten times the budget would still
# buy several percent.
STILL_FALLING_DROP = 0.01
STILL_FALLING_MIN_EPOCHS = 8

RunStatus = Literal["queued", "starting", "training", "paused", "finished", "stopped", "diverged", "failed"]
# A run waiting for a training slot (Compare's queue), starting, training or paused has a job ahead of
# it or running; the others have ended.
ACTIVE_STATUSES: tuple[RunStatus, ...] = ("queued", "starting", "training", "paused")
# How a job's final reason (the worker's "done" message, the engine's stop_reason) maps onto a status.
END_STATUS: dict[str, RunStatus] = {
    "completed": "finished",
    "early_stopping": "finished",
    "stopped": "stopped",
    "nan": "diverged",
    "diverged": "diverged",
}
FAILED_MESSAGE = "The training process failed."
Record = dict[str, Any]  # one epoch's figures: the engine's record, one entry of Run.history


@dataclass(frozen=True)
class TrainState:
    """Everything needed to continue training exactly where a job left off.

    Randomness in the engine is a function of (seed, epoch, step), so a job
    started from this state continues the same run an uninterrupted job
    would have trained (to float tolerance).

    Attributes:
        weights: the model's weights now (possibly mid-epoch, see ``step_in_epoch``).
        optimizer: the optimizer's variables in ``optimizer.variables`` order
            (step counter, learning rate, moments), or None to start the
            optimizer afresh (after a NaN, whose moments are not finite).
        epoch: whole epochs trained.
        step_in_epoch: optimizer steps already taken in epoch ``epoch + 1``.
        partial: loss-term sums of those steps (to finish that epoch's record).
    """

    weights: NetworkWeights
    optimizer: list[np.ndarray] | None
    epoch: int
    step_in_epoch: int = 0
    partial: tuple[float, ...] | None = None


@dataclass
class Run:
    """One model's training run.

    Attributes:
        data_config, model_config, train_config: the settings it ran with.
        history: one record per epoch: ``epoch`` (1-based), ``loss``,
            ``recon``, ``kl``, ``penalty``, ``beta``, ``seconds`` and, with a
            validation split, ``val_loss``, ``val_recon``, ``val_kl``. Losses
            are nats per point on standardized data.
        weights: the latest finite weights (None before the first epoch).
        status: where the run is: ``queued`` (waiting for a training slot) -> ``starting``
            -> ``training`` <-> ``paused`` -> ``finished`` | ``stopped`` | ``diverged`` | ``failed``.
        message: why it stopped, for the user (empty when all is well).
        snapshots: weights at a bounded, log-spaced set of epochs (the epoch
            timeline replays them; see ``vae.core.snapshots``).
        state: the full training state at the end of its last job (weights,
            optimizer, epoch), which Continue starts from; None while a job
            runs or if the job ended without one (a crash).
        target_epoch: the epoch the current budget ends at (None: until paused).
        metrics: held-out scores of its latest weights, when the job that trained them
            scored them (Compare's models: ``vae.core.compare_metrics.HeldOut``); a new
            job (Continue) clears them.
        origin: where it was trained when not on the Train page (``"Compare"``), for the Runs
            page; empty for the Train page's runs.
    """

    data_config: DataConfig
    model_config: ModelConfig
    train_config: TrainConfig
    history: list[Record] = field(default_factory=list)
    weights: NetworkWeights | None = None
    status: RunStatus = "starting"
    message: str = ""
    snapshots: SnapshotStore = field(default_factory=SnapshotStore)
    state: TrainState | None = None
    target_epoch: int | None = None
    metrics: Metrics | None = None
    origin: str = ""

    @property
    def epochs_done(self) -> int:
        return int(self.history[-1]["epoch"]) if self.history else 0

    @property
    def last_loss(self) -> float:
        return float(self.history[-1]["loss"]) if self.history else math.nan

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def train_seconds(self) -> float:
        """Time spent in training epochs (excludes starting TensorFlow and compiling)."""
        return float(sum(r.get("seconds", 0.0) for r in self.history))

    # -- following a training job ---------------------------------------------------------------
    def apply(self, message: dict[str, Any], paused: bool = False) -> None:
        """Update from one ``vae.training.worker.TrainingJob.poll()`` message.

        Args:
            message: ``ready``, ``epoch``, ``state``, ``done`` (with the held-out ``metrics``
                when the job scored the model) or ``error`` change the run; others
                (``paused``, ``speed``) do not.
            paused: whether the job is paused now (a run that starts paused shows as paused).
        """
        kind = message.get("type")
        if kind == "ready":
            self.status = "paused" if paused else "training"
            self.state = None  # a job runs: the saved state is behind it now
            self.metrics = None  # and so are the scores of the weights it started from
        elif kind == "state":
            self.state = message["state"]
        elif kind == "epoch":
            # ``snapshot``: the worker's snapshot schedule keeps this epoch (the epoch timeline
            # replays it; see ``vae.core.snapshots``).
            record, weights = message["record"], message.get("weights")
            self.history.append(record)
            if weights is not None:
                self.weights = weights
            self.snapshots.add(int(record["epoch"]), weights, scheduled=bool(message.get("snapshot")))
            if self.status in ("queued", "starting"):
                self.status = "paused" if paused else "training"
        elif kind == "done":
            self.end(message.get("reason", ""), message.get("message", ""))
            self.metrics = message.get("metrics")
        elif kind == "error":
            self.status, self.message = "failed", message.get("message", FAILED_MESSAGE)

    def drain(self, job: Any) -> list[dict[str, Any]]:
        """Apply every message ``job`` (a ``vae.training.worker.TrainingJob``) sent since its last poll.

        Returns:
            The messages, oldest first (for what else follows them, e.g. the Train page's clock).
        """
        messages = job.poll()
        for message in messages:
            self.apply(message, paused=job.paused)
        return messages

    def end(self, reason: str, message: str = "") -> None:
        """The job ended for ``reason`` (``END_STATUS``; an unknown one counts as stopped)."""
        self.status, self.message = END_STATUS.get(reason, "stopped"), message

    def mark_stopped(self, message: str) -> None:
        """Its job was stopped (or will never start): a run still active is stopped, saying ``message``."""
        if self.is_active:
            self.status, self.message = "stopped", message

    @property
    def end_epoch(self) -> int | None:
        """The epoch the current budget ends at; None when it trains until paused."""
        if self.target_epoch is not None:
            return max(self.target_epoch, self.epochs_done)
        if self.is_active and self.train_config.until_paused:
            return None
        return max(self.train_config.epochs, self.epochs_done)

    def resume_state(self) -> TrainState | None:
        """What Continue starts from: the saved state, else (a loaded bundle, a crash) the
        latest weights with a fresh optimizer; None while a job runs or without weights."""
        if self.is_active:
            return None
        if self.state is not None:
            return self.state
        if self.usable and self.weights is not None:
            return TrainState(self.weights, None, self.epochs_done)
        return None

    @property
    def can_continue(self) -> bool:
        """Not training, and has weights (and usually the optimizer's state) to continue from."""
        return self.resume_state() is not None

    @property
    def usable(self) -> bool:
        """Has weights that can be explored (finite, from at least one epoch)."""
        return self.weights is not None and self.weights.is_finite()


@dataclass(frozen=True)
class Falling:
    """A loss still clearly falling at the end of a run (``still_falling``).

    Attributes:
        drop: how much lower its mean was over the last quarter of the run than over the
            quarter before (relative: 0.08 for 8%).
        measure: the record key judged: ``val_loss`` (held-out rows) or ``loss`` (training rows).
        last: its value at the last epoch (nats per point).
    """

    drop: float
    measure: str
    last: float

    @property
    def held_out(self) -> bool:
        return self.measure == "val_loss"


def judged_loss(history: list[Record]) -> str:
    """The loss that says whether more epochs would help: the held-out (validation) loss when the
    run has a validation split, else the training loss.

    On a small table the training loss falls for as long as the model trains (a 64-32 network
    memorizes iris's 120 training rows: 9.4 nats at 900 steps, 6.8 at 9,000) while the loss of
    rows it never saw is lowest near 300 steps and then rises (tests/unit/test_default_budget.py).
    """
    return "val_loss" if any("val_loss" in r for r in history) else "loss"


def _drop(losses: list[float], parts: int) -> float:
    """Relative drop of the mean loss over the last ``1/parts`` of ``losses`` against the part before."""
    n = len(losses) // parts
    last, before = sum(losses[-n:]) / n, sum(losses[-2 * n : -n]) / n
    return (before - last) / max(abs(last), 1e-12)


def still_falling(history: list[Record], measure: str | None = None) -> Falling | None:
    """The loss, if it is still clearly falling at the end of a run.

    Compares the mean loss of the last quarter of the epochs with that of the quarter before.
    The held-out loss must also not have turned up at the very end (its last eighth lower than
    the eighth before): on iris it falls 1.7% from epochs 151-225 to 226-300, yet its lowest
    was at epoch 248 and more epochs only raise it.

    Args:
        history: the run's records.
        measure: the record key to judge; default ``judged_loss(history)``.

    Returns:
        A ``Falling`` when the drop is at least ``STILL_FALLING_DROP``, else None (also for
        runs shorter than ``STILL_FALLING_MIN_EPOCHS`` or with non-finite losses).
    """
    measure = measure or judged_loss(history)
    losses = [float(r[measure]) for r in history if measure in r]
    if len(losses) < STILL_FALLING_MIN_EPOCHS or not all(math.isfinite(v) for v in losses):
        return None
    drop = _drop(losses, 4)
    if drop < STILL_FALLING_DROP or (measure == "val_loss" and _drop(losses, 8) <= 0):
        return None
    return Falling(drop, measure, losses[-1])
