"""The warm worker pool: jobs on warm processes, reuse and recycling, replacement, pause, continue.

Real child processes (TensorFlow import ~5-15 s each on a busy machine). Each
test runs on its own small ``Pool`` (``vae.training.pool._pool`` is swapped), shut down
at the end, so no process outlives a test. No wall-clock assertions: pause
latency is measured in epochs and optimizer steps.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from vae import compare
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import generate
from vae.training import pool as pools
from vae.training.pool import POOL_SIZE, Pool
from vae.training.worker import TrainingJob, active_jobs

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SMALL = ModelConfig(encoder_units=(16,), decoder_units=(16,))


@pytest.fixture
def small_pool(monkeypatch):
    """A pool of one process that retires after 2 jobs, used by TrainingJob for this test."""
    pool = Pool(size=1, jobs_per_process=2)
    monkeypatch.setattr(pools, "_pool", pool)
    yield pool
    pool.shutdown()


def wait_until(condition, timeout: float = 120.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def idle_pids(pool: Pool) -> list[int]:
    return [p.pid for p in pool.processes() if p.idle]


def run_to_end(job: TrainingJob, paused: bool = False) -> list[dict]:
    job.start(paused=paused)
    return follow(job)


def follow(job: TrainingJob) -> list[dict]:
    """Every message of a started job, up to its end."""
    messages: list[dict] = []
    wait_until(lambda: messages.extend(job.poll()) or job.finished, what="the job's end")
    return messages


def final_state(messages: list[dict]):
    return next(m["state"] for m in messages if m["type"] == "state")


def test_a_job_runs_on_an_already_warm_process_and_reuses_its_traced_model(small_pool):
    small_pool.warm()
    (warm_pid,) = wait_until(lambda: idle_pids(small_pool), what="a warm process")
    x = generate(DataConfig(n_samples=256)).standardized()
    messages = run_to_end(TrainingJob(x, ModelConfig(), TrainConfig(epochs=3)))
    ready = messages[0]
    assert ready["type"] == "ready" and ready["reused"] is True  # the default model was traced in advance
    assert [m["record"]["epoch"] for m in messages if m["type"] == "epoch"] == [1, 2, 3]
    assert [m["type"] for m in messages[-2:]] == ["state", "done"]
    assert all(m["job"] == messages[0]["job"] for m in messages)
    # The process goes back to the pool, idle, and is not a new one.
    assert wait_until(lambda: idle_pids(small_pool), what="idle again") == [warm_pid]
    assert active_jobs() == 0


def test_a_process_serves_jobs_then_is_recycled_and_replaced(small_pool):
    x = generate(DataConfig(n_samples=128)).standardized()
    pids = []
    for _ in range(3):
        job = TrainingJob(x, SMALL, TrainConfig(epochs=2, batch_size=64))
        run_to_end(job)
        pids.append(job.pid)
        wait_until(lambda: idle_pids(small_pool) or not small_pool.processes(), what="the pool to settle")
    assert pids[0] == pids[1] != pids[2]  # two jobs, then retired (jobs_per_process=2)
    assert not _running(pids[0])
    wait_until(lambda: len(idle_pids(small_pool)) == 1, what="a warm replacement")
    assert len(small_pool.processes()) == 1  # the pool keeps its size


def test_a_killed_pooled_process_is_replaced(small_pool):
    small_pool.warm()
    (pid,) = wait_until(lambda: idle_pids(small_pool), what="a warm process")
    os.kill(pid, signal.SIGKILL)
    new = wait_until(lambda: [p for p in idle_pids(small_pool) if p != pid], what="a replacement")
    assert len(new) == 1 and not _running(pid)
    x = generate(DataConfig(n_samples=128)).standardized()
    job = TrainingJob(x, SMALL, TrainConfig(epochs=1, batch_size=64))
    messages = run_to_end(job)
    assert job.pid == new[0] and messages[-1]["reason"] == "completed"


def test_extra_processes_started_for_simultaneous_trainings_retire_when_idle(small_pool):
    # Two users train at once on a pool sized for one: the second job gets a process of its own
    # rather than waiting; once both end, the pool shrinks back to its size (memory bounded).
    x = generate(DataConfig(n_samples=128)).standardized()
    jobs = [TrainingJob(x, SMALL, TrainConfig(epochs=10_000, batch_size=64)) for _ in range(2)]
    for job in jobs:
        job.start()
    assert jobs[0].pid != jobs[1].pid
    wait_until(
        lambda: all(any(m["type"] == "epoch" for m in job.poll()) for job in jobs), what="both training"
    )
    for job in jobs:
        job.stop()
    wait_until(lambda: len(small_pool.processes()) == 1, what="the pool back to one process")
    (survivor,) = wait_until(lambda: idle_pids(small_pool), what="the survivor idle")
    assert survivor in {job.pid for job in jobs}
    wait_until(lambda: sum(_running(job.pid) for job in jobs) == 1, what="the extra process to exit")
    # The survivor still serves the next job.
    job = TrainingJob(x, SMALL, TrainConfig(epochs=1, batch_size=64))
    assert final_state(run_to_end(job)) is not None and job.pid == survivor


def test_trainings_in_a_row_then_two_at_once_keep_the_pools_warm_processes(monkeypatch):
    # What a user does: train, change a setting, train again, then a second tab trains beside
    # the first. Every job finds a warm process, the pool keeps its size, and no process is
    # replaced after an ordinary job (a replacement costs the next click a cold start).
    full = Pool()  # the server's size and recycling limits
    monkeypatch.setattr(pools, "_pool", full)
    try:
        full.warm()
        warm = set(wait_until(lambda: len(idle_pids(full)) == POOL_SIZE and idle_pids(full), what="warm"))
        x = generate(DataConfig(n_samples=256)).standardized()
        for config in (
            TrainConfig(epochs=3),
            TrainConfig(epochs=5, learning_rate=0.01),
            TrainConfig(epochs=4),
        ):
            job = TrainingJob(x, ModelConfig(), config)
            messages = run_to_end(job)
            assert messages[0]["reused"] and messages[-1]["reason"] == "completed"
            assert job.pid in warm
            wait_until(lambda: len(idle_pids(full)) == POOL_SIZE, what="the pool idle again")
            assert {p.pid for p in full.processes()} == warm
        first, second = (TrainingJob(x, ModelConfig(), TrainConfig(epochs=5)) for _ in range(2))
        first.start(paused=True)  # holds its process while the second starts
        second.start()
        assert {first.pid, second.pid} == warm  # one warm process each: no extra one started
        first.resume()
        assert [follow(job)[-1]["reason"] for job in (first, second)] == ["completed"] * 2
        wait_until(lambda: len(idle_pids(full)) == POOL_SIZE, what="the pool idle after both")
        assert {p.pid for p in full.processes()} == warm and active_jobs() == 0
    finally:
        full.shutdown()


def test_pause_stops_within_an_epoch_and_the_epoch_holds(small_pool):
    # 2,500 steps per epoch: the worker trains it in many short calls, so a pause sent just
    # after epoch 1 stops it in the middle of epoch 2 instead of at its end.
    x = generate(DataConfig(n_samples=40_000)).standardized()
    job = TrainingJob(x, SMALL, TrainConfig(epochs=1000, batch_size=16))
    job.start()
    messages: list[dict] = []
    wait_until(lambda: messages.extend(job.poll()) or any(m["type"] == "epoch" for m in messages))
    job.pause()
    paused = wait_until(lambda: next((m for m in job.poll() if m["type"] == "paused"), None), what="pause")
    assert paused["epoch"] == 1  # stopped mid-epoch 2: no epoch finished after the click
    time.sleep(1.0)
    assert [m for m in job.poll() if m["type"] == "epoch"] == []  # the epoch holds
    job.resume()
    record = wait_until(lambda: next((m for m in job.poll() if m["type"] == "epoch"), None), what="epoch 2")
    assert record["record"]["epoch"] == 2  # resumed mid-epoch: nothing lost, nothing repeated
    job.stop()
    assert not job.is_alive()


def test_compare_variants_run_on_models_traced_in_advance_as_fresh_models_would(small_pool):
    # The warm process traces Compare's default variants before it is asked (seed 0); a
    # Compare run with another seed reuses them and must train exactly as fresh models do.
    from vae.training.engine import Trainer

    small_pool.warm()

    def all_traced() -> bool:
        # This pool's process only: processes of the server-wide pool, warmed by earlier tests in
        # the same pytest process, are listed too (the full suite timed out on ["vae-idle"] * 2).
        names = pools.worker_processes(os.getpid())
        pids = [p.pid for p in small_pool.processes()]
        return bool(pids) and all(names.get(pid) == "vae-idle" for pid in pids)

    wait_until(all_traced, timeout=300.0, what="every default model traced")
    x = generate(DataConfig(n_samples=400, seed=2)).standardized()
    config = TrainConfig(epochs=4, seed=3)
    spec = compare.CompareSpec((compare.Variant("sparse"), compare.Variant("beta_vae")), train=config)
    for model_config in spec.model_configs().values():
        messages = run_to_end(TrainingJob(x, model_config, config))
        assert messages[0]["reused"] is True
        fresh = Trainer(x, model_config, config)
        expected = [fresh.run_epoch()["loss"] for _ in range(4)]
        losses = [m["record"]["loss"] for m in messages if m["type"] == "epoch"]
        np.testing.assert_allclose(losses, expected, rtol=1e-5)
        for a, b in zip(final_state(messages).weights.arrays(), fresh.weights().arrays(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_continuing_from_the_state_equals_an_uninterrupted_run(small_pool):
    x = generate(DataConfig(n_samples=300)).standardized()
    config = TrainConfig(epochs=10, batch_size=32, validation_split=0.2, seed=5)
    whole = run_to_end(TrainingJob(x, SMALL, config.replace(epochs=20)))
    first = run_to_end(TrainingJob(x, SMALL, config))
    state = final_state(first)
    assert state.epoch == 10 and state.optimizer is not None
    rest = run_to_end(TrainingJob(x, SMALL, config, state=state))
    assert [m["record"]["epoch"] for m in rest if m["type"] == "epoch"] == list(range(11, 21))
    continued, uninterrupted = final_state(rest), final_state(whole)
    for a, b in zip(continued.weights.arrays(), uninterrupted.weights.arrays(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(continued.optimizer, uninterrupted.optimizer, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    loss = [m["record"]["val_loss"] for m in rest if m["type"] == "epoch"]
    expected = [m["record"]["val_loss"] for m in whole if m["type"] == "epoch"][10:]
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    # What must not happen: the optimizer's moments matter, so dropping them changes the run.
    fresh = run_to_end(TrainingJob(x, SMALL, config, state=state.__class__(state.weights, None, state.epoch)))
    dropped = final_state(fresh).weights.arrays()
    assert not all(
        np.allclose(a, b, atol=1e-6) for a, b in zip(dropped, uninterrupted.weights.arrays(), strict=True)
    )


def test_a_stop_in_the_middle_of_an_epoch_continues_exactly(small_pool):
    x = generate(DataConfig(n_samples=20_000)).standardized()
    config = TrainConfig(epochs=2, batch_size=16, seed=3)
    whole = final_state(run_to_end(TrainingJob(x, SMALL, config)))
    job = TrainingJob(x, SMALL, config)
    job.start()
    messages: list[dict] = []
    wait_until(lambda: messages.extend(job.poll()) or any(m["type"] == "epoch" for m in messages))
    job.stop()
    messages += job.poll()
    state = final_state(messages)
    assert state.epoch == 1 and 0 < state.step_in_epoch < 1250  # stopped inside epoch 2
    rest = run_to_end(TrainingJob(x, SMALL, config, state=state, epochs=1))
    end = final_state(rest)
    assert end.epoch == 2 and end.step_in_epoch == 0
    for a, b in zip(end.weights.arrays(), whole.weights.arrays(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


PARENT = """
import sys, time
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import generate
from vae.training.worker import TrainingJob

if __name__ == "__main__":
    x = generate(DataConfig(n_samples=20000)).standardized()
    job = TrainingJob(x, ModelConfig(encoder_units=(256, 256), decoder_units=(256, 256)),
                      TrainConfig(epochs=100000, batch_size=2048, jit_compile=False))
    job.start()
    while not any(m["type"] == "epoch" for m in job.poll()):
        time.sleep(0.05)
    print(job.pid, flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_end_soon_after_the_server_dies_even_mid_epoch(tmp_path, sig):
    """Issue: after kill -9 of the server a long-epoch worker ran on for minutes."""
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(PARENT))
    parent = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        child = int(parent.stdout.readline())
        assert _running(child)
        parent.send_signal(sig)
        parent.wait(10)
        # The watchdog checks every 0.2 s; allow for a loaded machine, below the minutes seen.
        wait_until(lambda: not _running(child), timeout=60, what="the orphaned worker to exit")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
        parent.stdout.close()


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
