"""Streamlit glue between the Train page and the training worker.

Keeps this session's ``vae.run.Run`` (in ``vae.ui.state``) up to date with its
``vae.worker.TrainingJob``: start, pause / resume / step / stop / reset, and
``sync()``, which drains the job's messages into the run. Any page may call
``sync()`` (Explore does, to show the latest weights during training).

The job lives in ``st.session_state`` (one per browser session, never shared).
It is also registered in a session-scoped ``st.cache_resource`` whose
``on_release`` stops it when the session disconnects (the tab is closed);
the child process also exits by itself if the server dies.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from vae import session_runs, worker
from vae.config import ModelConfig, TrainConfig
from vae.data import Dataset
from vae.run import Run
from vae.ui import state

# How the worker's final reasons map onto Run.status.
_DONE_STATUS = {
    "completed": "finished",
    "early_stopping": "finished",
    "stopped": "stopped",
    "nan": "diverged",
    "diverged": "diverged",
}


@dataclass
class _SessionJobs:
    """This session's worker handles, released (stopped) when the session disconnects."""

    jobs: list[Any] = field(default_factory=list)

    def add(self, job: worker.TrainingJob) -> None:
        self.jobs = [j for j in self.jobs if j.is_alive()] + [job]


def _release(box: _SessionJobs) -> None:
    # Called on Streamlit's event-loop thread: never block it; stop in the background.
    for job in box.jobs:
        if job.is_alive():
            threading.Thread(target=job.stop, name="latent-lab-release", daemon=True).start()


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _session_jobs() -> _SessionJobs:
    return _SessionJobs()


@dataclass
class Clock:
    """Arrival times of epoch records, for epochs/s and ETA (reset on pause)."""

    first_time: float = math.nan
    first_epoch: int = 0
    last_time: float = math.nan
    last_epoch: int = 0

    def tick(self, epoch: int) -> None:
        now = time.monotonic()
        if math.isnan(self.first_time):
            self.first_time, self.first_epoch = now, epoch
        self.last_time, self.last_epoch = now, epoch

    @property
    def epochs_per_s(self) -> float:
        """Epochs per second of wall time, once records span at least a second."""
        span = self.last_time - self.first_time
        if not span >= 1.0:  # records arrive in bursts of a poll; a shorter span is noise
            return math.nan
        return (self.last_epoch - self.first_epoch) / span


def epochs_per_s(run: Run | None) -> float:
    """Training speed for the progress bar: wall clock when measurable, else the epochs' own timings.

    The first epoch is left out of the fallback: it includes compiling the model.
    """
    if run is None:
        return math.nan
    rate = clock().epochs_per_s
    if math.isfinite(rate):
        return rate
    seconds = [r.get("seconds", math.nan) for r in run.history[-20:] if r.get("epoch", 1) > 1]
    total = sum(s for s in seconds if math.isfinite(s))
    return len(seconds) / total if total > 0 else math.nan


def clock() -> Clock:
    return st.session_state.setdefault(state.TRAIN_CLOCK, Clock())


def reset_clock() -> None:
    st.session_state[state.TRAIN_CLOCK] = Clock()


def job_running() -> bool:
    """True while this session has a live training process that has not reported its end."""
    job = state.get_job()
    return job is not None and job.started and not job.finished


def start(
    dataset: Dataset, model_config: ModelConfig, train_config: TrainConfig, paused: bool = False
) -> str | None:
    """Start training ``dataset`` with these settings, unless a job already runs.

    The current run (if any) moves to ``state.past_runs()``.

    Returns:
        None on success, else a message for the user (settings that do not
        fit the data, the server's training limit reached).
    """
    if job_running():
        return None  # Start twice starts one job
    try:
        train_config.check_against_data(dataset.n_rows)
        if model_config.input_dim != dataset.n_dims:
            model_config = model_config.replace(input_dim=dataset.n_dims)
        job = worker.TrainingJob(dataset.standardized(), model_config, train_config)
        job.start(paused=paused)
    except worker.CapacityError as exc:
        return str(exc)
    except ValueError as exc:
        return str(exc)
    _archive_current_run()
    run = Run(
        data_config=dataset.config, model_config=model_config, train_config=train_config, status="starting"
    )
    state.set_run(run)
    state.set_job(job)
    reset_clock()
    # Without a session (bare mode) there is no release hook; the child's parent check still applies.
    with contextlib.suppress(Exception):
        _session_jobs().add(job)
    return None


def _archive_current_run() -> None:
    old = state.get_run()
    if old is not None:
        session_runs.archive(state.past_runs(), old)  # bounded in number and memory


def sync() -> bool:
    """Drain the job's messages into the current run.

    Returns:
        True if the run changed (new epochs, status or message).
    """
    job, run = state.get_job(), state.get_run()
    if job is None or run is None:
        return False
    messages = job.poll()
    if not messages:
        return False
    ticker = clock()
    for message in messages:
        kind = message.get("type")
        if kind == "ready":
            run.status = "paused" if job.paused else "training"
        elif kind == "epoch":
            record = message["record"]
            run.history.append(record)
            ticker.tick(int(record["epoch"]))
            if message.get("weights") is not None:
                run.weights = message["weights"]
            run.snapshots.add(int(record["epoch"]), message.get("weights"))  # the epoch timeline
            if run.status == "starting":
                run.status = "paused" if job.paused else "training"
        elif kind == "done":
            run.status = _DONE_STATUS.get(message.get("reason", ""), "stopped")  # type: ignore[assignment]
            run.message = message.get("message", "")
        elif kind == "error":
            run.status = "failed"
            run.message = message.get("message", "The training process failed.")
    return True


def pause() -> None:
    job, run = state.get_job(), state.get_run()
    if job is not None and run is not None and run.is_active:
        job.pause()
        run.status = "paused"


def resume() -> None:
    job, run = state.get_job(), state.get_run()
    if job is not None and run is not None and run.is_active:
        job.resume()
        run.status = "training"
        reset_clock()


def step() -> None:
    job, run = state.get_job(), state.get_run()
    if job is not None and run is not None and run.is_active:
        job.step()
        if run.status == "training":
            run.status = "paused"


def stop() -> None:
    """Stop the job (cooperatively, then forcibly); the run keeps its history and weights."""
    job, run = state.get_job(), state.get_run()
    if job is None:
        return
    job.stop()
    sync()
    if run is not None and run.is_active:
        run.status = "stopped"
        run.message = run.message or f"Stopped by you after epoch {run.epochs_done}."


def reset() -> None:
    """Stop any job and forget the current run (it stays in the session's past runs)."""
    stop()
    _archive_current_run()
    state.set_run(None)
    state.set_job(None)
    reset_clock()


def restart() -> str | None:
    """Start the current run's settings again (after a crash) on the current dataset."""
    run, dataset = state.get_run(), state.get_dataset()
    if run is None or dataset is None:
        return "Nothing to restart."
    return start(dataset, run.model_config, run.train_config)
