"""The server-wide pool of warm training processes, and one such process seen from the server.

Warm pool. Importing TensorFlow and tracing a model must not sit between a
click and the first epoch, so the server keeps ``POOL_SIZE`` (= the
concurrency cap) processes that have already imported TensorFlow and traced
the default model, waiting for a job. ``pool().warm()`` starts them in the
background (the UI calls it on every page render; it never blocks). A job
goes to an idle warm process, else to one still warming up (its job waits in
its pipe), else to a new process: nobody waits for the pool to fill. A
process serves jobs one after another and keeps its last few compiled
Trainers, so a job with the same architecture and optimizer starts without
tracing; it retires itself after ``JOBS_PER_PROCESS`` jobs or above
``RECYCLE_PRIVATE_MB`` of private memory (repeated trainings in one process leak), and
the pool starts a replacement. Nothing of a user lives in the pool: a job
carries its data and settings, and its messages go to its own
``TrainingJob`` only.

No TensorFlow here: the processes (``vae.training.worker_child``) import it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vae.training.worker_child import TERMINAL, Message

if TYPE_CHECKING:  # the job module imports this one
    from vae.training.worker import TrainingJob

MAX_CONCURRENT_JOBS = 2  # one per core on the 2-core target machine
POOL_SIZE = MAX_CONCURRENT_JOBS  # warm processes: one per job that may run at once
JOBS_PER_PROCESS = 8  # then the process retires: repeated trainings in one process leak
# Private memory (``memory_mb``'s heap, not USS) above which a process retires after its job.
# Measured: 381 MB once TensorFlow is imported and the six kept models traced, then +8-18 MB per
# job that traces a new model (two-moons models and 64-column ones with 256-unit layers alike),
# so JOBS_PER_PROCESS jobs end near 480 MB: only a process that leaks far more reaches the mark.
RECYCLE_PRIVATE_MB = 700.0

_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the vae package


def _wait(process: subprocess.Popen, timeout: float) -> bool:
    """Wait up to ``timeout`` s for ``process`` to exit; True if it has."""
    try:
        process.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


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


class WorkerProcess:
    """One ``python -m vae.training.worker_child`` child, seen from the server: pipes, reader thread, current job."""

    def __init__(self, owner: Pool) -> None:
        self.owner = owner  # told when this process ends, to start a replacement
        control_read, control_write = os.pipe()
        output_read, output_write = os.pipe()
        pythonpath = os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p)
        args = (control_read, output_write, os.getpid(), *owner.limits)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "vae.training.worker_child", *map(str, args)],
                pass_fds=(control_read, output_write),
                cwd=_ROOT,
                env={**os.environ, "PYTHONPATH": pythonpath},
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
        self.warmed = False  # it said "warm" once: TensorFlow imported, the default model traced
        # Exiting: the pool asked it to, or the child said it retires after its job. Takes no
        # job and does not count as one of the pool's processes (``Pool._trim``).
        self.retired = False
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

    @property
    def idle(self) -> bool:
        """Warm and waiting for a job."""
        return self.warmed and self.job is None and not self.retired and not self.gone.is_set()

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
            if self.job is not None or self.retired or self.gone.is_set():
                return False
            self.job = job
            if not self._send(payload):
                self.job = None
                return False
            return True

    def _read(self, conn: Connection) -> None:
        """Reader thread: route each message to the current job; note when it is warm, free or retiring."""
        try:
            while True:
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    break
                message["received_at"] = time.monotonic()  # arrival here, independent of polling
                kind = message.get("type")
                with self.lock:
                    job = self.job
                    if kind in TERMINAL:
                        # Free for the next job at once (its message waits in the pipe), unless
                        # the child said it retires after this job.
                        self.job = None  # later control messages of that job go nowhere
                        self.retired = self.retired or bool(message.get("retiring"))
                    self.warmed = self.warmed or kind == "warm"
                if job is not None and kind != "warm":
                    job._deliver(message)
                if kind == "warm" or kind in TERMINAL:
                    self.owner._trim(self)
        finally:
            conn.close()
            with self.lock:
                job, self.job = self.job, None
                if not self._control.closed:
                    self._control.close()
            self.gone.set()  # after both pipes are closed: whoever waits for it sees no fd of ours left
            _wait(self.process, 1.0)
            if job is not None:
                job._process_gone(self.process.poll())
            self.owner._forget(self)

    def kill(self, grace: float = 1.0) -> None:
        """Terminate the process (then kill it after ``grace`` s)."""
        if self.process.poll() is None:
            self.process.terminate()
            if not _wait(self.process, grace):
                self.process.kill()
                _wait(self.process, 1.0)

    def retire(self, busy_too: bool = False) -> bool:
        """Ask this process to exit (unless it holds a job and not ``busy_too``); True if asked.

        A retired process takes no new job.
        """
        with self.lock:
            if self.job is not None and not busy_too:
                return False
            self.retired = True
            self._send("exit")
            return True


class Pool:
    """The server's warm training processes (at most ``size`` kept; see the module docstring)."""

    def __init__(
        self,
        size: int = POOL_SIZE,
        jobs_per_process: int = JOBS_PER_PROCESS,
        recycle_private_mb: float = RECYCLE_PRIVATE_MB,
    ) -> None:
        self.size = size
        self.limits = (jobs_per_process, recycle_private_mb)  # each process's, passed to the child
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
                self._processes.append(WorkerProcess(self))

    def acquire(self) -> WorkerProcess:
        """A process for a new job: idle and warm, else still warming up, else a new one."""
        with self._lock:
            self._processes = [p for p in self._processes if p.alive()]
            free = [p for p in self._processes if p.job is None and not p.retired]
            if free:
                return max(free, key=lambda p: p.warmed)  # the first warm one, if any
            process = WorkerProcess(self)
            self._processes.append(process)
            return process

    def _trim(self, process: WorkerProcess) -> None:
        """An idle ``process`` retires if the pool holds more than ``size``.

        ``acquire`` starts an extra process rather than make a click wait (every
        process busy, retiring or killed by a stop that has not ended yet); once
        such extras fall idle the pool shrinks back, so its memory stays bounded
        (a load benchmark of 8 sessions had left 10 idle processes).
        """
        with self._lock:
            staying = [p for p in self._processes if p.alive() and not p.retired]
            if process in staying and len(staying) > self.size:
                process.retire()

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
            process.retire(busy_too=True)
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
