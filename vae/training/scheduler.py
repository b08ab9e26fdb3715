"""A queue of runs that share the server's training slots: start, follow and stop their jobs.

No Streamlit, no TensorFlow (jobs are ``vae.training.worker.TrainingJob`` child
processes). Compare trains up to five models; at most ``cap`` train at once
here, and never more than the server-wide cap (``worker.MAX_CONCURRENT_JOBS``,
which counts every session's trainings), so the rest wait as ``queued`` runs
and start, in order, as slots free up. The page calls ``pump`` on every poll
(which also sends each job its heartbeat: a job whose session stops polling
ends itself after ``heartbeat_timeout`` s) and ``stop_all`` on Stop.

Example:
    >>> queue = Scheduler({"a": run_a, "b": run_b}, cap=1)
    >>> queue.pump(x)  # starts run_a; run_b waits
    >>> while queue.is_active:
    ...     queue.pump(x)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vae.core.compare_metrics import HeldOut
from vae.runs.run import Run
from vae.training.pool import MAX_CONCURRENT_JOBS
from vae.training.worker import CapacityError, TrainingJob, active_jobs

STOPPED_BY_USER = "Stopped by you."
NOT_STARTED = "Not started: the comparison was stopped."
WAITING_FOR_SLOT = "Waiting for a free training slot (another training is running on this server)."


def slots_free(own_running: int, server_running: int, cap: int) -> int:
    """How many queued runs may start now under a cap of ``cap`` trainings (ours and the server's)."""
    return max(0, cap - max(own_running, server_running))


@dataclass
class Scheduler:
    """Runs in start order, and the jobs of those that hold a training slot.

    Attributes:
        runs: every run of the queue by key, in the order they start; a run waiting for a
            slot has status ``queued``.
        cap: at most this many of its runs train at once (the server's cap applies too).
        heartbeat_timeout: each job ends itself when ``pump`` has not been called for
            this many seconds (None: never).
        jobs: live ``TrainingJob`` handles by key (only while their run is active).
    """

    runs: dict[str, Run]
    cap: int = MAX_CONCURRENT_JOBS
    heartbeat_timeout: float | None = None
    jobs: dict[str, TrainingJob] = field(default_factory=dict)

    @property
    def is_active(self) -> bool:
        return any(run.is_active for run in self.runs.values())

    def pump(
        self,
        x: np.ndarray,
        on_start: Callable[[TrainingJob], None] | None = None,
        held_out: HeldOut | None = None,
    ) -> None:
        """Follow the running jobs (heartbeat, messages), then start queued runs while slots are free.

        Args:
            x: (n, D) standardized training rows, shared by every run of the queue.
            on_start: called with each job it starts (the UI stops it when the session ends).
            held_out: rows each job scores its model on when it ends (``Run.metrics``).
        """
        for key, job in list(self.jobs.items()):
            run = self.runs[key]
            job.heartbeat()
            run.drain(job)
            if not run.is_active:
                del self.jobs[key]
        queued = [(key, run) for key, run in self.runs.items() if run.status == "queued"]
        free = slots_free(len(self.jobs), active_jobs(), self.cap)
        for key, run in queued[:free]:
            job = TrainingJob(
                x,
                run.model_config,
                run.train_config,
                heartbeat_timeout=self.heartbeat_timeout,
                held_out=held_out,
            )
            try:
                job.start()
            except CapacityError:  # another session took the slot since we counted
                run.message = WAITING_FOR_SLOT
                break
            run.status, run.message = "starting", ""
            self.jobs[key] = job
            if on_start is not None:
                on_start(job)
        for _, run in queued[free:]:
            run.message = f"Queued: at most {self.cap} trainings run at once."

    def stop_all(self) -> None:
        """Stop every running job (their runs keep what they trained) and drop the queue."""
        for key, job in list(self.jobs.items()):
            job.stop()
            run = self.runs[key]
            run.drain(job)
            run.mark_stopped(STOPPED_BY_USER)
        self.jobs.clear()
        for run in self.runs.values():
            run.mark_stopped(NOT_STARTED)  # only queued runs are still active now
