"""TrainingJob: one training run in a child process, driven by small messages.

The Streamlit process must stay light (TensorFlow costs ~4 s and ~490 MiB to
import, and training in a thread of the server crawls), so each run gets its
own process: ``python -m vae.worker``, which imports ``vae.engine``
(TensorFlow) and never any page code. (Not ``multiprocessing``'s ``spawn``:
Streamlit installs the running page script as ``sys.modules["__main__"]``,
and a spawned child re-executes ``__main__`` -- measured, see
tests/unit/test_worker.py.) The child talks to the parent through two one-way
pipes carrying pickled messages (``multiprocessing.connection`` framing; both
ends are our own processes, never user files):

- control (parent -> child): ``"pause"``, ``"resume"``, ``"step"``,
  ``"stop"``, ``"heartbeat"``; checked between epochs.
- output (child -> parent): plain dicts, one per epoch (record plus, at most
  every ``WEIGHTS_EVERY_S`` seconds and always on the last epoch, a
  ``NetworkWeights`` snapshot), then one ``"done"`` or ``"error"``.

A reader thread in the parent drains the output pipe continuously, so the
child never blocks on a full pipe while nobody polls (the user is on another
page) and its exit is seen at once (EOF). The child ends itself when the
parent is gone (control-pipe EOF or a changed ``getppid()``), and, if asked,
when heartbeats stop. A process per run also returns all of TensorFlow's
memory to the OS when it exits (repeated fits in one process leak).

A module-level cap (``MAX_CONCURRENT_JOBS``) keeps many browser tabs from
starving each other on a small machine: ``start`` raises ``CapacityError``
instead of queueing. The cap holds no user data, only live job handles.

This module imports no TensorFlow in the parent.
"""

from __future__ import annotations

import importlib
import math
import os
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from vae.config import ModelConfig, TrainConfig

MAX_CONCURRENT_JOBS = 2  # one per core on the 2-core target machine
WEIGHTS_EVERY_S = 0.2  # weight snapshots at most 5x/s: fresh enough for a 3x/s UI, cheap for big nets
STOP_GRACE_S = 1.5  # cooperative stop, then terminate()
ENGINE_MODULE = "vae.engine"  # what the child imports (tests may point it elsewhere)

_ROOT = Path(__file__).resolve().parents[1]  # the folder holding the vae package

Message = dict[str, Any]
TERMINAL = ("done", "error")

_active_lock = threading.Lock()
_active: set[TrainingJob] = set()


class CapacityError(RuntimeError):
    """Raised by ``TrainingJob.start`` when the server already runs its maximum of jobs."""


def active_jobs() -> int:
    """How many training processes of this server process are alive right now."""
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
            import signal

            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (perhaps the machine ran out of memory)" if -exitcode == 9 else ""
        return f"it was killed by {name}{hint}"
    return f"it exited with code {exitcode}"


class TrainingJob:
    """A training run in a background process.

    Args:
        x: (n, D) standardized float32 data; the child splits off validation rows.
        model_config: the architecture and objective.
        train_config: the optimizer, budget and schedule.
        heartbeat_timeout: if set, the child stops itself when no ``heartbeat``
            (or other control message) arrives for this many seconds.

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
    ):
        x = np.asarray(x, np.float32)
        if x.ndim != 2 or x.shape[1] != model_config.input_dim:
            raise ValueError(f"x must have shape (n, {model_config.input_dim}). Received: shape={x.shape}")
        train_config.check_against_data(len(x))
        self.x = x
        self.model_config = model_config
        self.train_config = train_config
        self.heartbeat_timeout = heartbeat_timeout
        self._process: subprocess.Popen | None = None
        self._control: Connection | None = None
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending: list[Message] = []
        self._eof = threading.Event()
        self._terminal_seen = False  # a "done"/"error" was received or synthesized
        self._stop_requested = False
        self.paused = False
        self.started_at: float | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, paused: bool = False) -> None:
        """Start the child process (once).

        Args:
            paused: start paused (then ``step()`` trains one epoch at a time).

        Raises:
            CapacityError: if ``MAX_CONCURRENT_JOBS`` jobs are already running.
            RuntimeError: if this job was started before.
        """
        if self._process is not None:
            raise RuntimeError("This training job has already been started.")
        with _active_lock:
            _prune()
            if len(_active) >= MAX_CONCURRENT_JOBS:
                raise CapacityError(
                    f"{len(_active)} trainings are already running on this server (the limit is "
                    f"{MAX_CONCURRENT_JOBS}). Wait for one to finish, or stop one, then try again."
                )
            control_read, control_write = os.pipe()
            output_read, output_write = os.pipe()
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p),
            }
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", "vae.worker", str(control_read), str(output_write)],
                    pass_fds=(control_read, output_write),
                    cwd=_ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )  # no Ctrl-C from the terminal
            finally:
                # Close our copies of the child's ends: EOF then means "the other side is gone".
                os.close(control_read)
                os.close(output_write)
            self._process = process
            self._control = Connection(control_write, readable=False)
            options = {
                "paused": paused,
                "heartbeat_timeout": self.heartbeat_timeout,
                "parent_pid": os.getpid(),
                "engine": ENGINE_MODULE,
            }
            self._send_obj(
                {
                    "x": self.x,
                    "model_config": self.model_config.to_dict(),
                    "train_config": self.train_config.to_dict(),
                    "options": options,
                }
            )
            self.paused = paused
            self.started_at = time.monotonic()
            _active.add(self)
        self._reader = threading.Thread(
            target=self._read,
            args=(Connection(output_read, writable=False),),
            name="latent-lab-job-reader",
            daemon=True,
        )
        self._reader.start()

    def _read(self, conn: Connection) -> None:
        """Reader thread: move every message from the child into ``_pending``."""
        try:
            while True:
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    break
                message["received_at"] = time.monotonic()  # arrival here, independent of polling
                with self._lock:
                    if message.get("type") == "epoch" and message.get("weights") is not None:
                        # Only the newest undelivered snapshot is worth keeping in memory.
                        for older in self._pending:
                            if older.get("type") == "epoch":
                                older["weights"] = None
                    self._pending.append(message)
        finally:
            conn.close()
            self._eof.set()

    def _send_obj(self, obj: Any) -> bool:
        if self._control is None or self._control.closed:
            return False
        try:
            self._control.send(obj)
            return True
        except (BrokenPipeError, OSError):
            return False

    def _send(self, command: str) -> bool:
        return self._send_obj(command)

    def pause(self) -> None:
        """Pause after the current epoch."""
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

    def stop(self, timeout: float = STOP_GRACE_S) -> None:
        """Stop the run: ask, then ``terminate()`` after ``timeout`` s, then ``kill()``.

        Messages already sent by the child stay available to ``poll``; if the
        child had to be terminated, ``poll`` reports ``{"type": "done",
        "reason": "stopped"}``. Safe to call more than once.
        """
        process = self._process
        if process is None:
            return
        self._stop_requested = True
        self._send("stop")
        if not _wait(process, timeout):
            process.terminate()
            if not _wait(process, 1.0):
                process.kill()
                _wait(process, 1.0)
        self._close()

    def _close(self) -> None:
        if self._control is not None and not self._control.closed:
            self._control.close()
        if self._reader is not None:
            self._reader.join(2.0)
        with _active_lock:
            _active.discard(self)

    # -- state ---------------------------------------------------------------------------------
    def is_alive(self) -> bool:
        """True while the child process runs."""
        return self._process is not None and self._process.poll() is None

    @property
    def started(self) -> bool:
        return self._process is not None

    @property
    def exitcode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def finished(self) -> bool:
        """True once a ``done`` or ``error`` message has been handed out by ``poll``."""
        return self._terminal_seen

    def poll(self) -> list[Message]:
        """Every message received since the last call, oldest first.

        Each is one of ``{"type": "ready"}`` (TensorFlow loaded, model built),
        ``{"type": "epoch", "record": dict, "weights": NetworkWeights | None}``,
        ``{"type": "done", "reason": str, "message": str}`` or
        ``{"type": "error", "message": str}``. A child that vanished without a
        word (crash, ``kill -9``) is reported once as an ``error``.
        """
        if self._process is None:
            return []
        ended = self._eof.is_set()  # read before taking the messages: nothing can follow EOF
        with self._lock:
            messages, self._pending = self._pending, []
        if any(m.get("type") in TERMINAL for m in messages):
            self._terminal_seen = True
        if ended and not self._terminal_seen:
            self._terminal_seen = True
            _wait(self._process, 1.0)
            if self._stop_requested:
                messages.append({"type": "done", "reason": "stopped", "message": "Stopped."})
            else:
                messages.append(
                    {
                        "type": "error",
                        "message": (
                            f"The training process ended unexpectedly: {_describe_exit(self._process.poll())}. "
                            "The last weights it sent are kept."
                        ),
                    }
                )
        if ended:
            self._close()
        return messages


# -- the child process ---------------------------------------------------------------------------
def _child_main(
    control: Connection,
    output: Connection,
    x: np.ndarray,
    model_config: dict,
    train_config: dict,
    options: dict,
) -> None:
    """The training loop of the child process: report, obey control messages, train."""
    parent_pid = int(options["parent_pid"])
    heartbeat_timeout = options.get("heartbeat_timeout")
    last_contact = time.monotonic()
    paused = bool(options.get("paused"))
    steps = 0
    state = {"stop": False, "orphan": False, "lost": False}

    def send(message: Message) -> None:
        try:
            output.send(message)
        except (BrokenPipeError, OSError):
            state["orphan"] = True

    def handle(command: str) -> None:
        nonlocal paused, steps, last_contact
        last_contact = time.monotonic()
        if command == "pause":
            paused = True
        elif command == "resume":
            paused, steps = False, 0
        elif command == "step":
            paused, steps = True, steps + 1
        elif command == "stop":
            state["stop"] = True

    def check_control(wait: float) -> None:
        try:
            if control.poll(wait):
                while True:
                    handle(control.recv())
                    if not control.poll(0):
                        break
        except (EOFError, OSError):
            state["orphan"] = True  # the parent closed the pipe or died
        if os.getppid() != parent_pid:
            state["orphan"] = True
        if heartbeat_timeout and time.monotonic() - last_contact > heartbeat_timeout:
            state["lost"] = True

    try:
        engine = importlib.import_module(options.get("engine", ENGINE_MODULE))
        mc, tc = ModelConfig.from_dict(model_config), TrainConfig.from_dict(train_config)
        x_train, x_val = engine.split_data(x, tc)
        trainer = engine.Trainer(x_train, mc, tc, x_val)
        # streamlit_imported: proof for tests that no page code ran in this process.
        send(
            {
                "type": "ready",
                "n_train": len(x_train),
                "n_val": 0 if x_val is None else len(x_val),
                "streamlit_imported": "streamlit" in sys.modules,
            }
        )
        last_weights = -math.inf
        while True:
            check_control(0.0)
            if state["orphan"]:
                return  # nobody to report to
            if state["lost"]:
                send(
                    {
                        "type": "done",
                        "reason": "stopped",
                        "message": (
                            f"Stopped after epoch {trainer.epoch}: the page stopped checking in for "
                            f"{heartbeat_timeout:g} s (tab closed?)."
                        ),
                    }
                )
                return
            if state["stop"]:
                send(
                    {
                        "type": "done",
                        "reason": "stopped",
                        "message": f"Stopped by you after epoch {trainer.epoch}.",
                    }
                )
                return
            if paused and steps == 0:
                check_control(0.1)  # idle without spinning
                continue
            if steps:
                steps -= 1
            record = trainer.run_epoch()
            now = time.monotonic()
            weights = None
            if trainer.done or now - last_weights >= WEIGHTS_EVERY_S:
                weights, last_weights = trainer.weights(), now
            send({"type": "epoch", "record": record, "weights": weights})
            if trainer.done:
                send({"type": "done", "reason": trainer.stop_reason, "message": trainer.message})
                return
    except Exception as exc:  # report anything, then exit; the parent decides what to show
        traceback.print_exc()
        send({"type": "error", "message": f"{type(exc).__name__}: {exc}"})
    finally:
        output.close()
        control.close()


def _main(control_fd: int, output_fd: int) -> None:
    """``python -m vae.worker CONTROL_FD OUTPUT_FD``: read the job, then train."""
    control = Connection(control_fd, writable=False)
    output = Connection(output_fd, readable=False)
    try:
        job = control.recv()
    except (EOFError, OSError):
        return
    _child_main(control, output, job["x"], job["model_config"], job["train_config"], job["options"])


if __name__ == "__main__":
    _main(int(sys.argv[1]), int(sys.argv[2]))
