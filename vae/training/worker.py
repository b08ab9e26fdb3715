"""Training in warm child processes: a server-wide pool, jobs, and the messages between them.

The Streamlit process must stay light (TensorFlow costs ~4 s and ~490 MiB to
import, and training in a thread of the server crawls), so training runs in
child processes: ``python -m vae.training.worker_child``, which imports ``vae.training.engine``
(TensorFlow) and never any page code. (Not ``multiprocessing``'s ``spawn``:
Streamlit installs the running page script as ``sys.modules["__main__"]``,
and a spawned child re-executes ``__main__`` -- measured, see
tests/unit/test_worker.py.) The warm pool of processes: ``vae.training.pool``.

Messages are pickled over two one-way pipes per process (``multiprocessing.connection``
framing; both ends are our own processes, never user files).

Parent -> child (control pipe):

- ``{"type": "job", "job": int, "x": ndarray (n, D) standardized,
  "model_config": dict, "train_config": dict, "state": TrainState | None,
  "epochs": int | None, "paused": bool, "heartbeat_timeout": float | None,
  "snapshot_schedule": SnapshotSchedule | None, "held_out": HeldOut | None}``: run a job (only
  sent to an idle process). ``state`` continues a model (``vae.runs.run.TrainState``); ``epochs`` is how many epochs
  this job trains (None: ``train_config``'s budget, or until stopped when
  ``until_paused``); ``snapshot_schedule`` is the run's
  ``vae.core.snapshots.SnapshotSchedule`` so far (None: a new run), which the
  child advances exactly as the parent's ``SnapshotStore`` does; ``held_out``: rows to score the
  model on after its last epoch (``vae.core.compare_metrics.HeldOut``; Compare's models).
- ``"pause"``, ``"resume"``, ``"step"`` (one more epoch, then paused),
  ``"stop"``, ``"heartbeat"``: control of the running job, answered at least
  every ``CONTROL_EVERY_S`` (the engine trains in calls of ~0.04 s).
- ``{"type": "set", "learning_rate": float | None, "beta": float | None}``:
  new settings, applied from the next epoch (recorded in its records).
- ``{"type": "speed", "epochs_per_s": float | None, "request": int}``: slow motion, for
  watching: at most this many epochs per second (one epoch per compiled
  call, waiting between them while still answering control messages every
  ``CONTROL_EVERY_S``); None: full speed again.
- ``"exit"``: an idle process ends.

Child -> parent (output pipe); every job message carries ``"job": int``:

- ``{"type": "warm"}``: idle, ready for a job (after start-up and after each job).
- ``{"type": "ready", "n_train", "n_val", "streamlit_imported", "reused"}``:
  the job's model is built (``reused``: on a compiled Trainer kept from an
  earlier job).
- ``{"type": "epoch", "record": dict, "weights": NetworkWeights | None,
  "snapshot": bool, "at": float}``: one per epoch (``vae.training.engine`` records: losses, beta,
  learning_rate, seconds); weights at most every ``WEIGHTS_EVERY_S``, on the
  last epoch, and at the last epoch of a compiled call when the snapshot
  schedule keeps it (``snapshot`` True: that epoch's exact weights; the
  schedule is offered only those epochs, on both sides; the parent keeps
  them for the epoch timeline even when newer weights arrive before a poll;
  ``at``: when the compiled call that trained it ended).
- ``{"type": "paused", "epoch": int, "at": float}``: training has stopped
  for a pause (or after a step).
- ``{"type": "speed", "epochs_per_s": float | None, "request": int, "epoch": int,
  "at": float}``: speed change ``request`` has taken effect; ``epoch`` is the last epoch trained at the
  old pace (the compiled call running when it arrived finishes first).
  Measured on 200 rows: that call holds 15-25 epochs, and the page, which
  polls 4x/s, has ~100 more trained but not yet drawn when the user slows
  down; both show at once, then every epoch is paced (4.97/s at 5, 1.00/s at 1).
- ``{"type": "state", "state": TrainState}``: the full training state
  (weights, optimizer, epoch), sent just before ``done``; Continue starts a
  new job from it.
- ``{"type": "done", "reason": str, "message": str, "retiring": bool, "metrics": Metrics | None}``
  (reason: completed, early_stopping, stopped, nan, diverged; ``metrics``: with ``held_out``, the
  final model's scores if it ran to its end and no stop came while scoring) or ``{"type":
  "error", "message": str, "retiring": bool}``: the job's last message;
  ``retiring``: the process exits after it (else it takes the next job at once).

The parent adds ``received_at`` (its ``time.monotonic()``) to each message;
``at`` is the child's ``time.monotonic()`` (the same clock on one machine).
A reader thread per process drains its output pipe continuously, so a child
never blocks on a full pipe while nobody polls (the user is on another page).

A child ends itself within ``WATCHDOG_S`` when the server is gone, even in
the middle of a compiled call (a watchdog thread checks ``getppid()``;
TensorFlow releases the GIL while it computes), and stops a job whose page
stopped sending heartbeats (when asked to). A module-level cap
(``MAX_CONCURRENT_JOBS``) keeps many browser tabs from starving each other
on a small machine: ``TrainingJob.start`` raises ``CapacityError`` instead of
queueing.

This module imports no TensorFlow in the parent.
"""

from __future__ import annotations

import copy
import itertools
import math
import signal
import threading
from typing import Any

import numpy as np

from vae.config import ModelConfig, TrainConfig
from vae.core.compare_metrics import HeldOut
from vae.core.snapshots import SnapshotSchedule
from vae.runs.run import TrainState
from vae.training.pool import MAX_CONCURRENT_JOBS, WorkerProcess, pool
from vae.training.worker_child import TERMINAL, Message

STOP_GRACE_S = 1.5  # cooperative stop, then terminate()


_active_lock = threading.Lock()
_active: set[TrainingJob] = set()
_job_ids = itertools.count(1)


class CapacityError(RuntimeError):
    """Raised by ``TrainingJob.start`` when the server already runs its maximum of jobs."""


def active_jobs() -> int:
    """How many training jobs of this server process are running right now."""
    with _active_lock:
        _prune()
        return len(_active)


def _prune() -> None:
    _active.difference_update([j for j in _active if not j.is_alive()])


def _describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "it did not report back"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (perhaps the machine ran out of memory)" if -exitcode == 9 else ""
        return f"it was killed by {name}{hint}"
    return f"it exited with code {exitcode}"


class TrainingJob:
    """A training run on a pooled background process.

    Args:
        x: (n, D) standardized float32 data; the child splits off validation rows.
        heartbeat_timeout: if set, the child stops this job when no ``heartbeat``
            (or other control message) arrives for this many seconds.
        state: continue this model (weights, optimizer, epoch) instead of a fresh one.
        epochs: epochs this job trains (default: ``train_config``'s budget).
        snapshot_schedule: the run's snapshot schedule so far, when continuing a run
            (``Run.snapshots.schedule``); the job sends weights at the epochs it keeps.
        held_out: score the final model on these rows in the training process and send
            the scores with ``done`` (``Run.metrics``).

    Example:
        >>> job = TrainingJob(x, ModelConfig(), TrainConfig(epochs=5))
        >>> job.start()
        >>> while job.is_alive():
        ...     for message in job.poll(): ...
    """

    def __init__(
        self,
        x: np.ndarray,
        model_config: ModelConfig,
        train_config: TrainConfig,
        heartbeat_timeout: float | None = None,
        state: TrainState | None = None,
        epochs: int | None = None,
        snapshot_schedule: SnapshotSchedule | None = None,
        held_out: HeldOut | None = None,
    ):
        x = np.asarray(x, np.float32)
        if x.ndim != 2 or x.shape[1] != model_config.input_dim:
            raise ValueError(f"x must have shape (n, {model_config.input_dim}). Received: shape={x.shape}")
        train_config.check_against_data(len(x))
        if held_out is not None and np.shape(held_out.x_test)[1:] != x.shape[1:]:
            raise ValueError(
                f"held_out.x_test must have {x.shape[1]} columns. Received: {held_out.x_test.shape}"
            )
        if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
            raise ValueError(f"epochs must be a positive integer or None. Received: epochs={epochs!r}")
        self.x, self.model_config, self.train_config = x, model_config, train_config
        self.heartbeat_timeout, self.state, self.epochs = heartbeat_timeout, state, epochs
        # A copy: the parent's store keeps advancing its own.
        self.snapshot_schedule = copy.deepcopy(snapshot_schedule)
        self.held_out = held_out
        self.speed: float | None = None  # epochs/s asked for with set_speed (None: full speed)
        # The first epoch trained at ``speed``, once the child has said so (a compiled call
        # running when the change arrived finishes at the old pace first).
        self.speed_since: int | None = None
        self._speed_request = 0  # numbers speed changes, so a late answer to an earlier one is ignored
        self.id = next(_job_ids)
        self._worker: WorkerProcess | None = None
        self._lock = threading.Lock()
        self._pending: list[Message] = []
        self._ended = threading.Event()  # a terminal message arrived, or the process is gone
        self.exitcode: int | None = None  # of its process, if that died during the job
        self.finished = False  # a "done" or "error" message has been handed out by poll
        self._stop_requested = False
        self.paused = False

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, paused: bool = False) -> None:
        """Hand the job to a warm process (once).

        Args:
            paused: start paused (then ``step()`` trains one epoch at a time).

        Raises:
            CapacityError: if ``MAX_CONCURRENT_JOBS`` jobs are already running.
            RuntimeError: if this job was started before.
        """
        if self._worker is not None:
            raise RuntimeError("This training job has already been started.")
        payload = {
            "type": "job",
            "job": self.id,
            "x": self.x,
            "model_config": self.model_config.to_dict(),
            "train_config": self.train_config.to_dict(),
            "state": self.state,
            "epochs": self.epochs,
            "paused": paused,
            "heartbeat_timeout": self.heartbeat_timeout,
            "snapshot_schedule": self.snapshot_schedule,
            "held_out": self.held_out,
        }
        with _active_lock:
            _prune()
            if len(_active) >= MAX_CONCURRENT_JOBS:
                raise CapacityError(
                    f"{len(_active)} trainings are already running on this server (the limit is "
                    f"{MAX_CONCURRENT_JOBS}). Wait for one to finish, or stop one, then try again."
                )
            for _ in range(3):  # a process may vanish between choosing it and sending to it
                worker = pool().acquire()
                if worker.assign(self, payload):
                    break
            else:
                raise RuntimeError("No training process could be started; try again in a moment.")
            self._worker = worker
            self.paused = paused
            _active.add(self)

    def _deliver(self, message: Message) -> None:
        """Called by the process's reader thread with each message of this job."""
        with self._lock:
            if message.get("type") == "epoch" and message.get("weights") is not None:
                # Only the newest undelivered live weights are worth keeping in memory;
                # scheduled snapshots are kept for the epoch timeline.
                for older in self._pending:
                    if older.get("type") == "epoch" and not older.get("snapshot"):
                        older["weights"] = None
            self._pending.append(message)
            if message.get("type") == "speed" and message.get("request") == self._speed_request:
                self.speed_since = int(message["epoch"]) + 1  # the answer to the latest change
        if message.get("type") in TERMINAL:
            self._ended.set()

    def _process_gone(self, exitcode: int | None) -> None:
        """Called when this job's process ended before the job did."""
        self.exitcode = exitcode
        self._ended.set()

    def _send(self, command: Any) -> bool:
        return self._worker is not None and not self._ended.is_set() and self._worker.send(command, job=self)

    def pause(self) -> None:
        """Pause after the current compiled call (within ~0.1 s)."""
        if self._send("pause"):
            self.paused = True

    def resume(self) -> None:
        if self._send("resume"):
            self.paused = False

    def step(self) -> None:
        """Train exactly one more epoch, then stay paused."""
        if self._send("step"):
            self.paused = True

    def heartbeat(self) -> None:
        """Tell the child its page is still there (see ``heartbeat_timeout``)."""
        self._send("heartbeat")

    def change(self, learning_rate: float | None = None, beta: float | None = None) -> bool:
        """Change the learning rate and/or beta from the next epoch on; False if the job has ended."""
        if learning_rate is not None:
            self.train_config.replace(learning_rate=learning_rate)  # validates, raises ValueError
        if beta is not None:
            self.model_config.replace(beta=beta)
        return self._send({"type": "set", "learning_rate": learning_rate, "beta": beta})

    def set_speed(self, epochs_per_s: float | None) -> bool:
        """Slow training to at most ``epochs_per_s`` epochs per second (None: full speed).

        Returns:
            False if the job has ended.

        Raises:
            ValueError: if ``epochs_per_s`` is not a positive number or None.
        """
        if epochs_per_s is not None and not (math.isfinite(epochs_per_s) and epochs_per_s > 0):
            raise ValueError(f"epochs_per_s must be a positive number or None. Received: {epochs_per_s!r}")
        with self._lock:  # before sending: the reader thread may deliver the answer at once
            before = self.speed, self.speed_since
            self.speed, self.speed_since = epochs_per_s, None
            self._speed_request += 1
            request = self._speed_request
        sent = self._send({"type": "speed", "epochs_per_s": epochs_per_s, "request": request})
        if not sent:
            with self._lock:
                self.speed, self.speed_since = before
        return sent

    def stop(self, timeout: float = STOP_GRACE_S) -> None:
        """Stop the job: ask, then end its process after ``timeout`` s (the pool replaces it).

        Messages already sent by the child stay available to ``poll`` (with a
        cooperative stop: the final ``state`` and ``done``). Safe to call more
        than once.
        """
        worker = self._worker
        if worker is None:
            return
        if not self._ended.is_set():
            self._stop_requested = True
            self._send("stop")
            if not self._ended.wait(timeout):
                worker.kill()
                self._ended.wait(2.0)
        with _active_lock:
            _active.discard(self)

    # -- state ---------------------------------------------------------------------------------
    def is_alive(self) -> bool:
        """True while the job runs (started, and neither ended nor lost its process)."""
        return self._worker is not None and not self._ended.is_set()

    @property
    def started(self) -> bool:
        return self._worker is not None

    @property
    def pid(self) -> int | None:
        return None if self._worker is None else self._worker.pid

    def poll(self) -> list[Message]:
        """Every message received since the last call, oldest first (see the module docstring).

        A process that vanished without a word (crash, ``kill -9``) is
        reported once as an ``error`` (or as ``done``/``stopped`` when ``stop``
        had to end it).
        """
        if self._worker is None:
            return []
        ended = self._ended.is_set()  # read before taking the messages: nothing can follow the end
        with self._lock:
            messages, self._pending = self._pending, []
        if any(m.get("type") in TERMINAL for m in messages):
            self.finished = True
        if ended and not self.finished:
            self.finished = True
            if self._stop_requested:
                messages.append({"type": "done", "reason": "stopped", "message": "Stopped."})
            else:
                messages.append(
                    {
                        "type": "error",
                        "message": (
                            f"The training process ended unexpectedly: {_describe_exit(self.exitcode)}. "
                            "The last weights it sent are kept."
                        ),
                    }
                )
        if ended:
            with _active_lock:
                _active.discard(self)
        return messages
