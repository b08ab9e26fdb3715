"""vae.training.scheduler: Compare's queue of runs over the server's training slots, with real worker jobs.

Each test starts real training processes (the warm pool's), so data and models are tiny.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import generate
from vae.runs.run import Run
from vae.training import scheduler
from vae.training.scheduler import Scheduler, slots_free
from vae.training.worker import TrainingJob

SMALL = ModelConfig(encoder_units=(16,), decoder_units=(16,))
SHORT = TrainConfig(epochs=3, batch_size=64)
# Until stopped: a run of any fixed length can end while the other waits for a process still
# warming up (a fresh one traces six models, ~40 s at load 12), and the queue moves on.
LONG = TrainConfig(epochs=10_000, batch_size=64, until_paused=True)


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return generate(DataConfig(n_samples=256)).standardized()


@pytest.fixture
def queues():
    """Every queue a test makes; their jobs are stopped afterwards, whatever happened."""
    made: list[Scheduler] = []
    yield made
    for queue in made:
        queue.stop_all()


def make_queue(queues: list[Scheduler], train: TrainConfig, keys: str, **options) -> Scheduler:
    runs = {
        key: Run(DataConfig(), SMALL.replace(beta=1.0 + i), train, status="queued")
        for i, key in enumerate(keys)
    }
    queue = Scheduler(runs, **options)
    queues.append(queue)
    return queue


def pump_until(
    queue: Scheduler, x: np.ndarray, condition, started: list | None = None, timeout: float = 120.0
):
    """Pump like the Compare page's fragment (every 0.1 s here) until ``condition()``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queue.pump(x, on_start=None if started is None else started.append)
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out: {[(k, r.status, r.epochs_done) for k, r in queue.runs.items()]}")


def test_slots_free_respects_the_server_wide_cap():
    assert slots_free(0, 0, 2) == 2
    assert slots_free(1, 1, 2) == 1
    assert slots_free(0, 2, 2) == 0  # another page's training holds both slots
    assert slots_free(2, 3, 2) == 0


@pytest.mark.slow
def test_runs_start_in_order_never_more_than_the_cap_and_all_finish(queues, x):
    queue = make_queue(queues, SHORT, "abc", cap=1)
    started: list[TrainingJob] = []
    queue.pump(x, on_start=started.append)
    a, b, c = queue.runs.values()
    assert (a.status, b.status, c.status) == ("starting", "queued", "queued")
    assert list(queue.jobs) == ["a"] and started == [queue.jobs["a"]]
    assert b.message == c.message == "Queued: at most 1 trainings run at once."
    most_at_once = 0

    def done() -> bool:
        nonlocal most_at_once
        most_at_once = max(
            most_at_once, sum(r.status in ("starting", "training") for r in queue.runs.values())
        )
        return not queue.is_active

    pump_until(queue, x, done, started)
    assert most_at_once == 1
    assert [job.model_config.beta for job in started] == [1.0, 2.0, 3.0]  # a, then b, then c
    for run in (a, b, c):
        assert run.status == "finished" and run.epochs_done == 3 and run.usable and run.message == ""
    assert not queue.jobs and all(not job.is_alive() for job in started)


@pytest.mark.slow
def test_stop_all_stops_the_running_keeps_their_epochs_and_drops_the_queue(queues, x):
    queue = make_queue(queues, LONG, "abc", cap=2, heartbeat_timeout=60.0)
    a, b, c = queue.runs.values()
    pump_until(queue, x, lambda: a.epochs_done >= 2 and b.epochs_done >= 2)
    assert c.status == "queued" and set(queue.jobs) == {"a", "b"}
    jobs = list(queue.jobs.values())
    queue.stop_all()
    assert not queue.is_active and not queue.jobs
    assert all(not job.is_alive() for job in jobs)
    for run in (a, b):
        assert run.status == "stopped" and run.epochs_done >= 2 and run.usable
        assert [r["epoch"] for r in run.history] == list(range(1, run.epochs_done + 1))
    assert (c.status, c.message, c.history) == ("stopped", scheduler.NOT_STARTED, [])
    queue.pump(x)  # a stopped queue starts nothing again
    assert not queue.jobs and c.status == "stopped"


@pytest.mark.slow
def test_a_failed_job_fails_its_run_only_and_frees_its_slot(queues, x):
    queue = make_queue(queues, LONG, "ab", cap=1)
    a, b = queue.runs.values()
    pump_until(queue, x, lambda: a.epochs_done >= 2)
    os.kill(queue.jobs["a"].pid, signal.SIGKILL)
    pump_until(queue, x, lambda: b.epochs_done >= 1)
    assert a.status == "failed" and "SIGKILL" in a.message and a.usable  # its last weights are kept
    assert b.status == "training" and list(queue.jobs) == ["b"]
    queue.stop_all()
    assert b.status == "stopped" and b.epochs_done >= 1 and a.status == "failed"


@pytest.mark.slow
def test_a_queue_nobody_pumps_ends_its_jobs_by_the_heartbeat(queues, x):
    queue = make_queue(queues, LONG, "a", heartbeat_timeout=1.0)
    (run,) = queue.runs.values()
    pump_until(queue, x, lambda: run.epochs_done >= 1)
    job = queue.jobs["a"]
    deadline = time.monotonic() + 60
    while job.is_alive() and time.monotonic() < deadline:  # the page is gone: no pump, no heartbeat
        time.sleep(0.2)
    queue.pump(x)
    assert run.status == "stopped" and "checking in" in run.message and not queue.jobs
