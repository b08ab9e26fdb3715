"""Faults around the training worker: kill -9 mid-run, a queue nobody drains.

What tests/unit/test_worker.py and test_pool.py already cover is not repeated
here (a killed job is reported once as an error; a paused child exits when its
parent calls ``os._exit``; a training child ends when its parent is killed or
terminated mid-epoch). These tests add what the page sees through ``vae.ui.training``
(bare mode: ``st.session_state`` works without a server) and what happens
when the page stops polling.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import streamlit as st

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core.decode import NetworkWeights
from vae.data.presets import generate
from vae.training.worker import TrainingJob
from vae.ui import state, training

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::UserWarning"),
]  # bare-mode Streamlit warnings

ROOT = Path(__file__).resolve().parents[2]
SMALL = ModelConfig(encoder_units=(16,), decoder_units=(16,))


@pytest.fixture(scope="module")
def dataset():
    return generate(DataConfig(n_samples=256))


@pytest.fixture
def session():
    """A clean bare-mode session state; any job left running is stopped afterwards."""
    st.session_state.clear()
    yield st.session_state
    job = state.get_job()
    if job is not None:
        job.stop(timeout=0.2)
    st.session_state.clear()


def sync_until(condition, timeout: float = 180.0) -> None:
    """Call training.sync() like the page's fragment (every 0.1 s) until ``condition()``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        training.sync()
        if condition():
            return
        time.sleep(0.1)
    run = state.get_run()
    raise AssertionError(f"timed out: status={run and run.status}, epochs={run and run.epochs_done}")


def arrays(weights: NetworkWeights) -> list[np.ndarray]:
    return [a.copy() for a in weights.arrays()]


# -- kill -9 -----------------------------------------------------------------------------------------


def test_kill_9_mid_run_fails_the_run_and_keeps_its_weights_and_history(session, dataset):
    state.set_dataset(dataset)
    assert training.start(dataset, SMALL, TrainConfig(epochs=10_000, batch_size=64)) is None
    run = state.get_run()
    sync_until(lambda: run.epochs_done >= 3 and run.weights is not None)
    assert run.status == "training" and training.job_running()
    job = state.get_job()
    history_before = [dict(r) for r in run.history]

    os.kill(job.pid, signal.SIGKILL)
    sync_until(lambda: run.status == "failed", timeout=60)

    # A clear message for the user: what happened, and that the weights are kept.
    assert "SIGKILL" in run.message and "last weights" in run.message
    assert job.exitcode == -signal.SIGKILL and not job.is_alive()
    assert not training.job_running()
    # Nothing lost or corrupted: the history is the same prefix (plus records already in flight), in order.
    assert run.history[: len(history_before)] == history_before
    assert [r["epoch"] for r in run.history] == list(range(1, run.epochs_done + 1))
    assert all(np.isfinite(r["loss"]) for r in run.history)
    assert run.usable  # finite weights from the last snapshot the worker sent
    kept = arrays(run.weights)
    # Later syncs change nothing (the error is reported once).
    assert training.sync() is False
    assert run.status == "failed" and all(
        np.array_equal(a, b) for a, b in zip(kept, run.weights.arrays(), strict=True)
    )

    # Restart trains the same settings again; the failed run moves to the session's past runs intact.
    assert training.restart() is None
    new = state.get_run()
    assert new is not run and state.past_runs()[-1] is run and run.status == "failed"
    state.get_job().stop(timeout=0.2)


def test_kill_9_before_the_first_epoch_fails_cleanly_without_weights(session, dataset):
    assert training.start(dataset, SMALL, TrainConfig(epochs=5, batch_size=64)) is None
    run, job = state.get_run(), state.get_job()
    os.kill(job.pid, signal.SIGKILL)  # still importing TensorFlow
    sync_until(lambda: run.status == "failed", timeout=60)
    assert "SIGKILL" in run.message
    assert run.history == [] and run.weights is None and not run.usable
    assert not training.job_running()


# -- a queue nobody drains -----------------------------------------------------------------------------

BIG = ModelConfig(encoder_units=(128, 128), decoder_units=(128, 128))  # 140 kB snapshots > a 64 kB pipe


def test_a_page_that_stops_polling_blocks_nothing_and_loses_no_record(dataset):
    """The child fills the pipe far faster than a paused page drains it (each weight snapshot is
    larger than a pipe buffer). It must still finish and exit on its own, and one late poll must
    return every record in order; only superseded weight snapshots are dropped (explicit policy)."""
    n_epochs = 60
    job = TrainingJob(dataset.standardized(), BIG, TrainConfig(epochs=n_epochs, batch_size=64))
    job.start()
    try:
        deadline = time.monotonic() + 180
        while job.is_alive() and time.monotonic() < deadline:  # no poll() at all meanwhile
            time.sleep(0.2)
        assert not job.is_alive(), "the worker blocked while nobody polled"
        assert job.exitcode is None  # its process lives on in the pool, ready for the next job
        messages = job.poll()
    finally:
        job.stop(timeout=0.2)
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "ready" and kinds[-2:] == ["state", "done"] and kinds.count("done") == 1
    assert messages[-1]["reason"] == "completed"
    records = [m for m in messages if m["type"] == "epoch"]
    assert [m["record"]["epoch"] for m in records] == list(range(1, n_epochs + 1))
    # Drop policy: of the undelivered live weights only the newest is kept (the final weights);
    # the epoch timeline's scheduled snapshots are kept too (bounded by the schedule).
    with_weights = [m for m in records if m["weights"] is not None]
    assert with_weights[-1] is records[-1]
    assert all(m["snapshot"] for m in with_weights[:-1]) and len(with_weights) <= 201
    assert with_weights[-1]["weights"].is_finite()
    assert with_weights[-1]["weights"].encoder[0][0].shape == (2, 128)
    arrivals = [m["received_at"] for m in messages]
    assert arrivals == sorted(arrivals)
    assert job.poll() == [] and job.finished


def test_a_late_sync_drains_everything_into_the_run(session, dataset):
    """The same through vae.ui.training: the user was on another page for a while."""
    assert training.start(dataset, SMALL, TrainConfig(epochs=20, batch_size=64)) is None
    job, run = state.get_job(), state.get_run()
    deadline = time.monotonic() + 120
    while job.is_alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert training.sync() is True
    assert run.status == "finished" and run.message == ""
    assert [r["epoch"] for r in run.history] == list(range(1, 21))
    assert run.usable and not training.job_running()
