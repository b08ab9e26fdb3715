"""Streamlit glue between the Train page and the training worker.

Keeps this session's ``vae.runs.run.Run`` (in ``vae.ui.state``) up to date with its
``vae.training.worker.TrainingJob``. Every page calls ``sync()`` (through the sidebar), which
drains the job's messages into the run and keeps the server's pool of warm training processes
filling in the background (``vae.training.pool.pool``): the page never waits for it.

The job lives in ``st.session_state`` (one per browser session, never shared) and in a
session-scoped ``st.cache_resource`` whose ``on_release`` stops it when the tab is closed; the
child process also exits by itself if the server dies.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import streamlit as st

from vae.config import ModelConfig, TrainConfig
from vae.data.dataset import Dataset
from vae.runs.run import Run
from vae.training.pool import pool
from vae.training.worker import TrainingJob
from vae.ui import state

MAX_SEED = 2**31 - 1
# Pause and Step wait up to this long for the worker's answer (it answers within ~0.1 s), so the
# page redraws once, with the epoch it really stopped at, instead of a poll later.
ANSWER_WAIT_S = 0.5


def register(job: TrainingJob) -> None:
    """Stop ``job`` when this browser session ends (tab closed); Train and Compare both use it."""
    # Bare mode has no session, so no release hook: the job's heartbeat or parent check still applies.
    with contextlib.suppress(Exception):
        jobs = _session_jobs()
        jobs[:] = [j for j in jobs if j.is_alive()] + [job]


def _release(jobs: list[TrainingJob]) -> None:
    # Called on Streamlit's event-loop thread: never block it; stop in the background.
    for job in jobs:
        if job.is_alive():
            threading.Thread(target=job.stop, name="latent-lab-release", daemon=True).start()


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _session_jobs() -> list[TrainingJob]:
    """This session's worker handles (the list itself is kept and changed in place)."""
    return []


@dataclass
class Clock:
    """Arrival times of epoch records (for epochs/s and the ETA), and what Pause and Step were answered."""

    first_time: float = math.nan
    first_epoch: int = 0
    last_time: float = math.nan
    last_epoch: int = 0
    held_epoch: int | None = None  # the epoch the worker confirmed it paused at
    step_token: int | None = None  # the ``step_token()`` of the last Step's click

    def observe(self, message: dict[str, Any]) -> None:
        """Follow one of the job's messages: a confirmed pause, a new pace, or an epoch's arrival."""
        kind = message.get("type")
        if kind == "paused":
            self.held_epoch = int(message["epoch"])
        elif kind == "speed":  # a new pace from here on: measure it afresh (as after a pause)
            self.freeze()
        elif kind == "epoch":
            self.held_epoch = None
            # When it arrived, not when this poll drained it: polls 4x/s would add their jitter.
            now, epoch = message.get("received_at", time.monotonic()), int(message["record"]["epoch"])
            if math.isnan(self.first_time):
                self.first_time, self.first_epoch = now, epoch
            self.last_time, self.last_epoch = now, epoch

    def freeze(self) -> None:
        """Forget the pause: speed is measured again from the next record (the ETA holds meanwhile)."""
        self.first_time, self.first_epoch = math.nan, 0

    @property
    def epochs_per_s(self) -> float:
        """Epochs per second of wall time, once records span at least a second."""
        span = self.last_time - self.first_time  # records arrive in bursts of a poll: a shorter span is noise
        return (self.last_epoch - self.first_epoch) / span if span >= 1.0 else math.nan


def epochs_per_s(run: Run) -> float:
    """Training speed for the progress bar: wall clock when measurable, else the epochs' own timings
    (at most the watch speed; without the first epoch, which includes compiling the model)."""
    rate = clock().epochs_per_s
    if math.isfinite(rate):
        return rate
    seconds = [r.get("seconds", math.nan) for r in run.history[-20:] if r.get("epoch", 1) > 1]
    total = sum(s for s in seconds if math.isfinite(s))
    rate = len(seconds) / total if total > 0 else math.nan
    slow = speed()[0]  # the epochs' timings leave out slow motion's waits
    return min(rate, slow) if slow is not None and math.isfinite(rate) else rate


def clock() -> Clock:
    return st.session_state.setdefault(state.TRAIN_CLOCK, Clock())


def job_running() -> bool:
    """True while this session has a live training process that has not reported its end."""
    job = state.get_job()
    return job is not None and job.started and not job.finished


def _launch(dataset: Dataset, paused: bool, *args: Any, **kwargs: Any) -> str | None:
    """Start ``TrainingJob(dataset.standardized(), *args, **kwargs)`` as this session's job; None,
    or a message for the user (settings that do not fit the data, the server's training limit)."""
    try:
        job = TrainingJob(dataset.standardized(), *args, **kwargs)
        job.start(paused=paused)
    except (ValueError, RuntimeError) as exc:  # RuntimeError includes CapacityError
        return str(exc)
    state.set_job(job)
    st.session_state[state.TRAIN_CLOCK] = Clock()
    register(job)
    return None


def start(
    dataset: Dataset, model_config: ModelConfig, train_config: TrainConfig, paused: bool = False
) -> str | None:
    """Train a new model on ``dataset`` with these settings, unless a job already runs; None, or a
    message for the user. The current run (if any) moves to ``state.past_runs()``."""
    if job_running():
        return None  # Start twice starts one job
    model_config = model_config.replace(input_dim=dataset.n_dims)
    error = _launch(dataset, paused, model_config, train_config)
    if error is None:
        target = None if train_config.until_paused else train_config.epochs
        run = Run(dataset.config, model_config, train_config, status="starting", target_epoch=target)
        state.make_current(run)
    return error


def new_seed(train_config: TrainConfig) -> TrainConfig:
    """The same settings with a fresh random seed (one click next to Train again)."""
    seed = train_config.seed
    while seed == train_config.seed:
        seed = secrets.randbelow(MAX_SEED)
    return train_config.replace(seed=seed)


def continue_refusal(dataset: Dataset | None) -> str | None:
    """Why the current model cannot be continued on ``dataset`` now, or None if it can."""
    run = state.get_run()
    if run is None or not run.can_continue:
        return "There is no stopped model to continue; press Start to train one."
    if dataset is None or run.data_config != dataset.config or run.model_config.input_dim != dataset.n_dims:
        return (
            "The dataset changed since this model was trained, and a model continues only on its own "
            "data. Press Start to train a new model on the current data."
        )
    return None


def continue_training(dataset: Dataset, epochs: int | None = None, paused: bool = False) -> str | None:
    """Continue the current model on ``dataset`` (its own) from its saved weights and optimizer
    state, for ``epochs`` more (None: its budget again, or until paused when its settings say so),
    ``paused`` or not; None, or a message for the user."""
    if job_running():
        return None
    refusal = continue_refusal(dataset)
    if refusal is not None:
        return refusal
    run = state.get_run()  # continue_refusal vouched for it: it has a state to resume from
    resume, config = run.resume_state(), run.train_config
    if epochs is None and not config.until_paused:
        epochs = config.epochs
    schedule = run.snapshots.schedule  # the timeline goes on where it left off
    error = _launch(
        dataset, paused, run.model_config, config, state=resume, epochs=epochs, snapshot_schedule=schedule
    )
    if error is None:
        run.status, run.message = "starting", ""
        run.target_epoch = None if epochs is None else resume.epoch + epochs
    return error


def change(learning_rate: float | None = None, beta: float | None = None) -> str | None:
    """Change the current run's learning rate and/or beta from its next epoch on; None, or a
    message for the user. Recorded in the run's settings (so Continue and the bundle keep it) and
    in each epoch's record (``learning_rate``, ``beta_setting``), which the loss charts mark."""
    run = state.get_run()
    if run is None:
        return None
    try:
        if learning_rate is not None:
            run.train_config = run.train_config.replace(learning_rate=float(learning_rate))
        if beta is not None:
            run.model_config = run.model_config.replace(beta=float(beta))
    except ValueError as exc:
        return str(exc)
    if job_running():
        state.get_job().change(learning_rate=learning_rate, beta=beta)
    return None


def sync() -> bool:
    """Drain the job's messages into the current run (and keep the warm pool filling); True if
    there were any (new epochs, status or message)."""
    with contextlib.suppress(OSError):
        pool().warm()  # starts missing processes in the background; never waits
    with contextlib.suppress(Exception):  # bare mode has no session
        for running_job in _session_jobs():
            running_job.heartbeat()  # the session is alive (Compare's jobs time out without it)
    job, run = state.get_job(), state.get_run()
    if job is None or run is None:
        return False
    messages = run.drain(job)
    for message in messages:
        clock().observe(message)
    return bool(messages)


def _await(condition) -> None:
    """Sync until ``condition()`` holds or ``ANSWER_WAIT_S`` pass."""
    deadline = time.monotonic() + ANSWER_WAIT_S
    sync()
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
        sync()


def paused_confirmed() -> bool:
    """True once the worker has confirmed the pause (the epoch shown is where it stopped)."""
    return clock().held_epoch is not None


def speed() -> tuple[float | None, int | None]:
    """The running job's watch speed (None: full speed) and the first epoch trained at it (if known)."""
    job = state.get_job()
    return (job.speed, job.speed_since) if job_running() else (None, None)


def apply_speed(epochs_per_s: float | None) -> None:
    """Slow the running job to ``epochs_per_s`` (None: full speed), if it is not already at that speed."""
    if job_running() and state.get_job().speed != epochs_per_s:
        state.get_job().set_speed(epochs_per_s)


# A click can reach the page more than once: Streamlit's browser side sends a button's click in a
# setTimeout(0), and a fragment's poll timer that falls due first (a busy browser) sends every widget
# state it holds, the pending click too; each of those runs calls the button's callback (measured:
# one Step trained 2-4 epochs). So Pause only pauses, Resume only resumes, and Step trains one epoch
# per drawing of its button (the page passes ``step_token()``: each delivery of a click carries the
# same one, since the button's callback arguments are those of the page run that drew it).
_tokens = itertools.count(1)


def step_token() -> int:
    """A new number for each drawing of the Step button (unique in the server)."""
    return next(_tokens)


def pause() -> None:
    """Pause the job and wait briefly for the worker to confirm (it answers within ~0.1 s)."""
    job, run = state.get_job(), state.get_run()
    if job is not None and run is not None and run.is_active and run.status != "paused":
        clock().held_epoch = None
        job.pause()
        run.status = "paused"
        _await(paused_confirmed)


def resume() -> None:
    job, run = state.get_job(), state.get_run()
    if job is not None and run is not None and run.status == "paused":
        job.resume()
        run.status = "training"
        clock().freeze()


def step(token: int) -> None:
    """Train one more epoch, and wait briefly for it so the page shows it at once; asked again with
    the same ``token`` (``step_token()``), it does nothing."""
    job, run, ticker = state.get_job(), state.get_run(), clock()
    if job is not None and run is not None and run.is_active and ticker.step_token != token:
        target = run.epochs_done + 1
        ticker.held_epoch, ticker.step_token = None, token
        job.step()
        if run.status == "training":
            run.status = "paused"
        ticker.freeze()
        _await(lambda: run.epochs_done >= target and paused_confirmed())


def stop() -> None:
    """Stop the job (cooperatively, then forcibly); the run keeps its history and weights."""
    job, run = state.get_job(), state.get_run()
    if job is not None:
        job.stop()
        sync()
        if run is not None:
            run.mark_stopped(run.message or f"Stopped by you after epoch {run.epochs_done}.")


def reset() -> None:
    """Stop any job and forget the current run (it stays in the session's past runs)."""
    stop()
    state.make_current(None)
    state.set_job(None)
    st.session_state[state.TRAIN_CLOCK] = Clock()


def restart() -> str | None:
    """Start the current run's settings again (after a crash) on the current dataset."""
    run, dataset = state.get_run(), state.get_dataset()
    if run is None or dataset is None:
        return "Nothing to restart."
    return start(dataset, run.model_config, run.train_config)
