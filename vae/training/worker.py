"""Training in warm child processes: a server-wide pool, jobs, and the messages between them.

The Streamlit process must stay light (TensorFlow costs ~4 s and ~490 MiB to
import, and training in a thread of the server crawls), so training runs in
child processes: ``python -m vae.training.worker_child``, which imports ``vae.engine``
(TensorFlow) and never any page code. (Not ``multiprocessing``'s ``spawn``:
Streamlit installs the running page script as ``sys.modules["__main__"]``,
and a spawned child re-executes ``__main__`` -- measured, see
tests/unit/test_worker.py.)

Warm pool. Importing TensorFlow and tracing a model must not sit between a
click and the first epoch, so the server keeps ``POOL_SIZE`` (= the
concurrency cap) processes that have already imported TensorFlow and traced
the default model, waiting for a job. ``pool().warm()`` starts them in the
background (the UI calls it on every page render; it never blocks). A job
goes to an idle warm process, else to one still warming up (its job waits in
its pipe), else to a new process: nobody waits for the pool to fill. A
process serves jobs one after another and keeps its last few compiled
Trainers, so a job with the same architecture and optimizer starts without
tracing;
it retires itself after ``JOBS_PER_PROCESS`` jobs or above
``RECYCLE_USS_MB`` of private memory (repeated trainings in one process leak), and
the pool starts a replacement. Nothing of a user lives in the pool: a job
carries its data and settings, and its messages go to its own
``TrainingJob`` only.

Messages are pickled over two one-way pipes per process
(``multiprocessing.connection`` framing; both ends are our own processes,
never user files).

Parent -> child (control pipe):

- ``{"type": "job", "job": int, "x": ndarray (n, D) standardized,
  "model_config": dict, "train_config": dict, "state": TrainState | None,
  "epochs": int | None, "paused": bool, "heartbeat_timeout": float | None,
  "snapshot_schedule": SnapshotSchedule | None}``: run a job (only sent to an idle process). ``state``
  continues a model (``vae.run.TrainState``); ``epochs`` is how many epochs
  this job trains (None: ``train_config``'s budget, or until stopped when
  ``until_paused``); ``snapshot_schedule`` is the run's
  ``vae.snapshots.SnapshotSchedule`` so far (None: a new run), which the
  child advances exactly as the parent's ``SnapshotStore`` does.
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

- ``{"type": "warm", "pid", "jobs_served", "uss_mb"}``: idle, ready for a job
  (after start-up and after each job).
- ``{"type": "ready", "n_train", "n_val", "streamlit_imported", "reused"}``:
  the job's model is built (``reused``: on a compiled Trainer kept from an
  earlier job).
- ``{"type": "epoch", "record": dict, "weights": NetworkWeights | None,
  "snapshot": bool, "at": float}``: one per epoch (``vae.engine`` records: losses, beta,
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
- ``{"type": "done", "reason": str, "message": str, "retiring": bool}``
  (reason: completed, early_stopping, stopped, nan, diverged) or ``{"type":
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

import atexit
import contextlib
import copy
import itertools
import math
import os
import signal
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from vae.config import ModelConfig, TrainConfig
from vae.run import TrainState
from vae.snapshots import SnapshotSchedule
from vae.training.worker_child import Message

MAX_CONCURRENT_JOBS = 2  # one per core on the 2-core target machine
POOL_SIZE = MAX_CONCURRENT_JOBS  # warm processes: one per job that may run at once
JOBS_PER_PROCESS = 8  # then the process retires: repeated trainings in one process leak
# Memory private to a process (USS) above which it retires after its job: measured ~330 MB once
# TensorFlow is imported and the default model traced (plus ~420 MB of libraries shared by all).
RECYCLE_USS_MB = 700.0
STOP_GRACE_S = 1.5  # cooperative stop, then terminate()

_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the vae package

TERMINAL = ("done", "error")

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
    for job in [j for j in _active if not j.is_alive()]:
        _active.discard(job)


def _wait(process: subprocess.Popen, timeout: float) -> bool:
    """Wait up to ``timeout`` s for ``process`` to exit; True if it has."""
    try:
        process.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


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


def worker_processes(parent: int) -> dict[int, str]:
    """The ``python -m vae.training.worker_child`` children of process ``parent``, with their state.

    Returns:
        pid -> ``"vae-warming"``, ``"vae-idle"`` or ``"vae-busy"`` (their
        ``/proc/PID/comm``; see ``WARMING_NAME``, ``IDLE_NAME``, ``BUSY_NAME``).
    """
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid != parent or b"vae.training.worker_child" not in (proc / "cmdline").read_bytes():
                continue
            found[int(proc.name)] = (proc / "comm").read_text().strip()
        except (OSError, ValueError, IndexError):
            continue
    return found


# -- the parent side: processes and the pool ---------------------------------------------------
class WorkerProcess:
    """One ``python -m vae.training.worker_child`` child, seen from the server: pipes, reader thread, current job."""

    def __init__(
        self,
        owner: Pool | None = None,
        jobs_per_process: int = JOBS_PER_PROCESS,
        recycle_uss_mb: float = RECYCLE_USS_MB,
    ) -> None:
        self.owner = owner  # told when this process ends, to start a replacement
        control_read, control_write = os.pipe()
        output_read, output_write = os.pipe()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p),
        }
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "vae.training.worker_child",
                    *(
                        str(v)
                        for v in (control_read, output_write, os.getpid(), jobs_per_process, recycle_uss_mb)
                    ),
                ],
                pass_fds=(control_read, output_write),
                cwd=_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # no Ctrl-C from the terminal
            )
        finally:
            # Close our copies of the child's ends: EOF then means "the other side is gone".
            os.close(control_read)
            os.close(output_write)
        self._control = Connection(control_write, readable=False)
        self.lock = threading.Lock()  # guards job assignment and sends, so no message reaches the wrong job
        self.job: TrainingJob | None = None
        self.idle = False  # warm and waiting for a job
        self.ever_warm = False
        self.jobs_served = 0
        self.uss_mb = math.nan  # private memory, as last reported by the child
        self.gone = threading.Event()
        self._reader = threading.Thread(
            target=self._read,
            args=(Connection(output_read, writable=False),),
            name="latent-lab-worker-reader",
            daemon=True,
        )
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return not self.gone.is_set() and self.process.poll() is None

    def send(self, obj: Any, job: TrainingJob | None = None) -> bool:
        """Send ``obj``; with ``job``, only while that job is this process's current one."""
        with self.lock:
            if job is not None and self.job is not job:
                return False
            return self._send(obj)

    def _send(self, obj: Any) -> bool:
        if self._control.closed:
            return False
        try:
            self._control.send(obj)
            return True
        except (BrokenPipeError, OSError):
            return False

    def assign(self, job: TrainingJob, payload: Message) -> bool:
        """Hand ``job`` to this process (it must have none)."""
        with self.lock:
            if self.job is not None or self.gone.is_set():
                return False
            self.job, self.idle = job, False
            if not self._send(payload):
                self.job = None
                return False
            return True

    def _read(self, conn: Connection) -> None:
        """Reader thread: route each message to the current job; note idleness and memory."""
        try:
            while True:
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    break
                message["received_at"] = time.monotonic()  # arrival here, independent of polling
                kind = message.get("type")
                if kind == "warm":
                    with self.lock:
                        self.idle, self.ever_warm = self.job is None, True  # a job may be queued already
                        self.jobs_served = int(message.get("jobs_served", 0))
                        self.uss_mb = float(message.get("uss_mb", math.nan))
                    continue
                with self.lock:
                    job = self.job
                    if kind in TERMINAL:
                        self.job = None  # later control messages of that job go nowhere
                        # Free for the next job at once (its message waits in the pipe), unless
                        # the child said it retires after this job.
                        self.idle = not message.get("retiring", False)
                if job is not None:
                    job._deliver(message)
        finally:
            conn.close()
            self.gone.set()
            with self.lock:
                job, self.job, self.idle = self.job, None, False
                if not self._control.closed:
                    self._control.close()
            _wait(self.process, 1.0)
            if job is not None:
                job._process_gone(self.process.poll())
            if self.owner is not None:
                self.owner._forget(self)

    def kill(self, grace: float = 1.0) -> None:
        """Terminate the process (then kill it after ``grace`` s)."""
        if self.process.poll() is None:
            self.process.terminate()
            if not _wait(self.process, grace):
                self.process.kill()
                _wait(self.process, 1.0)

    def retire(self) -> None:
        """Ask an idle process to exit."""
        with self.lock:
            self.idle = False
            self._send("exit")


class Pool:
    """The server's warm training processes (at most ``size`` kept; see the module docstring)."""

    def __init__(
        self,
        size: int = POOL_SIZE,
        jobs_per_process: int = JOBS_PER_PROCESS,
        recycle_uss_mb: float = RECYCLE_USS_MB,
    ) -> None:
        self.size = size
        self._limits = (jobs_per_process, recycle_uss_mb)
        self._lock = threading.Lock()
        self._processes: list[WorkerProcess] = []
        self._closed = False

    def processes(self) -> list[WorkerProcess]:
        with self._lock:
            return [p for p in self._processes if p.alive()]

    def warm(self) -> None:
        """Start processes in the background until the pool holds ``size`` (never waits for them)."""
        with self._lock:
            if self._closed:
                return
            self._processes = [p for p in self._processes if p.alive()]
            while len(self._processes) < self.size:
                self._processes.append(WorkerProcess(self, *self._limits))

    def acquire(self) -> WorkerProcess:
        """A process for a new job: idle and warm, else still warming up, else a new one."""
        with self._lock:
            self._processes = [p for p in self._processes if p.alive()]
            free = [p for p in self._processes if p.job is None]
            for choice in ([p for p in free if p.idle], [p for p in free if not p.ever_warm]):
                if choice:
                    return choice[0]
            process = WorkerProcess(self, *self._limits)
            self._processes.append(process)
            return process

    def _forget(self, process: WorkerProcess) -> None:
        """A process ended (retired, crashed or killed): start a replacement if the pool is in use."""
        with self._lock:
            # Only a member's end refills: processes that shutdown() already let go may report
            # their exit after it returned, and must not warm the pool it just emptied.
            member = process in self._processes
            if member:
                self._processes.remove(process)
            refill = member and not self._closed and len(self._processes) < self.size
        if refill:
            with contextlib.suppress(OSError):
                self.warm()

    def shutdown(self, timeout: float = 2.0) -> None:
        """End every process (idle ones exit; busy ones are terminated). The pool can warm again later."""
        with self._lock:
            self._closed = True
            processes, self._processes = self._processes, []
        for process in processes:
            process.retire()
        deadline = time.monotonic() + timeout
        for process in processes:
            if not _wait(process.process, max(0.0, deadline - time.monotonic())):
                process.kill()
            process.gone.wait(1.0)
        with self._lock:
            self._closed = False


_pool = Pool()


def pool() -> Pool:
    """The server-wide pool of warm training processes."""
    return _pool


atexit.register(_pool.shutdown, 0.5)


# -- a job -------------------------------------------------------------------------------------
class TrainingJob:
    """A training run on a pooled background process.

    Args:
        x: (n, D) standardized float32 data; the child splits off validation rows.
        model_config: the architecture and objective.
        train_config: the optimizer, budget and schedule.
        heartbeat_timeout: if set, the child stops this job when no ``heartbeat``
            (or other control message) arrives for this many seconds.
        state: continue this model (weights, optimizer, epoch) instead of a fresh one.
        epochs: epochs this job trains (default: ``train_config``'s budget).
        snapshot_schedule: the run's snapshot schedule so far, when continuing a run
            (``Run.snapshots.schedule``); the job sends weights at the epochs it keeps.

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
    ):
        x = np.asarray(x, np.float32)
        if x.ndim != 2 or x.shape[1] != model_config.input_dim:
            raise ValueError(f"x must have shape (n, {model_config.input_dim}). Received: shape={x.shape}")
        train_config.check_against_data(len(x))
        if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
            raise ValueError(f"epochs must be a positive integer or None. Received: epochs={epochs!r}")
        self.x = x
        self.model_config = model_config
        self.train_config = train_config
        self.heartbeat_timeout = heartbeat_timeout
        self.state = state
        self.epochs = epochs
        self.snapshot_schedule = copy.deepcopy(
            snapshot_schedule
        )  # the parent's store keeps advancing its own
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
        self._exitcode: int | None = None
        self._process_died = False
        self._terminal_seen = False  # a "done"/"error" was handed out by poll
        self._stop_requested = False
        self.paused = False
        self.started_at: float | None = None

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
        }
        with _active_lock:
            _prune()
            if len(_active) >= MAX_CONCURRENT_JOBS:
                raise CapacityError(
                    f"{len(_active)} trainings are already running on this server (the limit is "
                    f"{MAX_CONCURRENT_JOBS}). Wait for one to finish, or stop one, then try again."
                )
            for _ in range(3):  # a process may vanish between choosing it and sending to it
                worker = _pool.acquire()
                if worker.assign(self, payload):
                    break
            else:
                raise RuntimeError("No training process could be started; try again in a moment.")
            self._worker = worker
            self.paused = paused
            self.started_at = time.monotonic()
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
        self._exitcode, self._process_died = exitcode, True
        self._ended.set()

    def _send(self, command: Any) -> bool:
        return self._worker is not None and not self._ended.is_set() and self._worker.send(command, job=self)

    def pause(self) -> None:
        """Pause after the current compiled call (within ~0.1 s)."""
        if self._send("pause"):
            self.paused = True

    def resume(self) -> None:
        """Resume after a pause."""
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
    def exitcode(self) -> int | None:
        """The exit code of this job's process if it died during the job, else None."""
        return self._exitcode

    @property
    def pid(self) -> int | None:
        return None if self._worker is None else self._worker.pid

    @property
    def finished(self) -> bool:
        """True once a ``done`` or ``error`` message has been handed out by ``poll``."""
        return self._terminal_seen

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
            self._terminal_seen = True
        if ended and not self._terminal_seen:
            self._terminal_seen = True
            if self._stop_requested:
                messages.append({"type": "done", "reason": "stopped", "message": "Stopped."})
            else:
                messages.append(
                    {
                        "type": "error",
                        "message": (
                            f"The training process ended unexpectedly: {_describe_exit(self._exitcode)}. "
                            "The last weights it sent are kept."
                        ),
                    }
                )
        if ended:
            with _active_lock:
                _active.discard(self)
        return messages
