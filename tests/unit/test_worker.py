"""TrainingJob: a training run in a spawned child process, driven by messages.

Each test starts real child processes (TensorFlow import ~5 s each on a busy
machine), so the data and epochs are kept tiny.
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

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core.decode import NetworkWeights
from vae.data.presets import generate
from vae.training.worker import CapacityError, TrainingJob, active_jobs

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SMALL = ModelConfig(encoder_units=(16,), decoder_units=(16,))


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return generate(DataConfig(n_samples=256)).standardized()


def collect(job: TrainingJob, until, timeout: float = 180.0) -> list[dict]:
    """Poll like the page does (every 0.1 s) until ``until(messages)`` or timeout."""
    messages: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages += job.poll()
        if until(messages):
            return messages
        time.sleep(0.1)
    raise AssertionError(f"timed out; got {[m['type'] for m in messages]}")


def epochs(messages: list[dict]) -> list[int]:
    return [m["record"]["epoch"] for m in messages if m["type"] == "epoch"]


def terminal(messages: list[dict]) -> dict | None:
    return next((m for m in messages if m["type"] in ("done", "error")), None)


def test_records_arrive_in_order_and_the_run_completes(x):
    job = TrainingJob(x, SMALL, TrainConfig(epochs=6, batch_size=64, validation_split=0.25))
    job.start()
    messages = collect(job, terminal)
    assert messages[0]["type"] == "ready"
    assert messages[0]["n_train"] == 192 and messages[0]["n_val"] == 64
    assert messages[0]["streamlit_imported"] is False
    assert epochs(messages) == [1, 2, 3, 4, 5, 6]
    last = [m for m in messages if m["type"] == "epoch"][-1]
    assert isinstance(last["weights"], NetworkWeights) and last["weights"].is_finite()
    assert np.isfinite(last["record"]["val_loss"])
    end = terminal(messages)
    assert (end["type"], end["reason"], end["message"]) == ("done", "completed", "")
    arrivals = [m["received_at"] for m in messages]
    assert arrivals == sorted(arrivals)
    assert job.finished
    job.stop()
    assert not job.is_alive()


def test_pause_step_and_a_cooperative_stop(x):
    job = TrainingJob(x, SMALL, TrainConfig(epochs=10_000, batch_size=64))
    job.start(paused=True)
    collect(job, lambda ms: any(m["type"] == "ready" for m in ms))
    time.sleep(0.5)
    assert job.poll() == []  # paused: no epoch runs on its own
    job.step()
    job.step()
    messages = collect(job, lambda ms: len(epochs(ms)) >= 2)
    time.sleep(0.5)
    messages += job.poll()
    assert epochs(messages) == [1, 2]  # exactly two steps, then paused again
    job.resume()
    messages += collect(job, lambda ms: len(epochs(ms)) >= 5)
    # The worker answers between two compiled calls, as it does a pause (how fast: the latency
    # benchmark's pause_s; a wall clock here fails on a loaded machine). An unanswered stop is a kill.
    job.stop(timeout=60.0)
    assert not job.is_alive()
    messages += job.poll()
    got = epochs(messages)
    assert got == list(range(1, len(got) + 1))
    assert terminal(messages)["reason"] == "stopped"
    assert job.exitcode is None  # stopped, not killed: its process serves on in the pool


def test_nan_loss_stops_and_keeps_finite_weights(x):
    settings = TrainConfig(
        epochs=50, batch_size=64, learning_rate=1.0, optimizer="sgd", momentum=0.99, clip_norm=1e6
    )
    job = TrainingJob(x, SMALL, settings)
    job.start()
    messages = collect(job, terminal)
    end = terminal(messages)
    assert end["type"] == "done" and end["reason"] == "nan"
    assert "learning rate" in end["message"]
    snapshots = [m["weights"] for m in messages if m["type"] == "epoch" and m["weights"] is not None]
    assert snapshots and all(w.is_finite() for w in snapshots)
    job.stop()


def test_a_killed_worker_is_reported_as_an_error(x):
    job = TrainingJob(x, SMALL, TrainConfig(epochs=10_000, batch_size=64))
    job.start()
    collect(job, lambda ms: len(epochs(ms)) >= 1)
    os.kill(job.pid, signal.SIGKILL)
    messages = collect(job, terminal, timeout=60)
    end = terminal(messages)
    assert end["type"] == "error"
    assert "SIGKILL" in end["message"]
    assert job.exitcode == -signal.SIGKILL
    assert job.poll() == []  # reported once


def test_capacity_cap_refuses_a_third_job_with_a_message(x):
    jobs = [TrainingJob(x, SMALL, TrainConfig(epochs=5, batch_size=64)) for _ in range(3)]
    try:
        jobs[0].start(paused=True)
        jobs[1].start(paused=True)
        assert active_jobs() == 2
        with pytest.raises(CapacityError, match="limit is 2"):
            jobs[2].start()
        assert not jobs[2].started
    finally:
        for job in jobs:
            job.stop(timeout=0.2)
    assert active_jobs() == 0


def test_start_twice_is_refused(x):
    job = TrainingJob(x, SMALL, TrainConfig(epochs=5, batch_size=64))
    job.start(paused=True)
    try:
        with pytest.raises(RuntimeError, match="already been started"):
            job.start()
    finally:
        job.stop(timeout=0.2)


def test_invalid_settings_are_refused_before_a_process_starts(x):
    with pytest.raises(ValueError, match="batch_size"):
        TrainingJob(x, SMALL, TrainConfig(batch_size=1000))


def test_child_exits_when_its_parent_dies(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent("""
        import os, sys, time
        from vae.config import DataConfig, ModelConfig, TrainConfig
        from vae.data.presets import generate
        from vae.training.worker import TrainingJob

        if __name__ == "__main__":
            x = generate(DataConfig(n_samples=128)).standardized()
            job = TrainingJob(x, ModelConfig(encoder_units=(8,), decoder_units=(8,)),
                              TrainConfig(epochs=100000, batch_size=64))
            job.start(paused=True)
            print(job.pid, flush=True)
            time.sleep(1.0)
            os._exit(0)  # no cleanup: as if the server was killed
    """)
    )
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    child = int(out.stdout.split()[0])
    deadline = time.monotonic() + 120  # it may still be importing TensorFlow (~40 s at load 12)
    while time.monotonic() < deadline and _running(child):
        time.sleep(0.2)
    assert not _running(child)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_heartbeat_timeout_ends_a_forgotten_job(x):
    job = TrainingJob(x, SMALL, TrainConfig(epochs=10_000, batch_size=64), heartbeat_timeout=1.0)
    job.start(paused=True)
    messages = collect(job, terminal)  # a process still warming (~40 s at load 12) answers late
    end = terminal(messages)
    assert end["reason"] == "stopped" and "checking in" in end["message"]
    job.stop()


def test_starting_a_job_does_not_run_page_code_in_the_child(tmp_path, x):
    """Streamlit runs pages with exec; the spawned child must never execute them."""
    from streamlit.testing.v1 import AppTest

    marker = tmp_path / "ran.txt"
    page = tmp_path / "page.py"
    np.save(tmp_path / "x.npy", x)
    page.write_text(
        textwrap.dedent(f"""
        import os, time
        import numpy as np
        import streamlit as st
        from vae.config import ModelConfig, TrainConfig
        from vae.training.worker import TrainingJob

        with open({str(marker)!r}, "a") as f:
            f.write(f"{{os.getpid()}}\\n")
        job = TrainingJob(np.load({str(tmp_path / "x.npy")!r}),
                          ModelConfig(encoder_units=(8,), decoder_units=(8,)),
                          TrainConfig(epochs=1, batch_size=64))
        job.start()
        st.session_state["job"] = job
    """)
    )
    at = AppTest.from_file(str(page), default_timeout=30).run()
    assert not at.exception
    job = at.session_state["job"]
    messages = collect(job, terminal)
    assert messages[0]["type"] == "ready" and messages[0]["streamlit_imported"] is False
    assert marker.read_text().split() == [str(os.getpid())]  # page code ran once, in this process
    job.stop()
