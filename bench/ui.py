"""Benchmarks of the Train page's process model (called by ``python -m vae bench``).

Not timed tests: each returns the numbers it measured, in one run, with the
target and whether it was met.

- ``bench_worker_vs_engine``: epochs/s of a run driven like the page drives it
  (TrainingJob + polling every 0.3 s) against the same settings through
  ``vae.training.fit.fit`` in this process. Both are timed from the first to the
  last epoch record (start-up, TensorFlow import and compilation excluded);
  for the worker, from the records' arrival in this process.
- ``bench_memory``: growth of this process's resident memory over N
  consecutive short trainings through TrainingJob (each child process gives
  all of TensorFlow's memory back when it exits).

Only ``bench_worker_vs_engine`` imports TensorFlow here (for the in-process
reference run), after the worker run.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import generate
from vae.training.worker import TrainingJob

POLL_S = 0.3  # the Train page's fragment interval
RATIO_TARGET = 0.9
MEMORY_TARGET_MB = 50.0


def _rss_mb() -> float:
    """Resident set size of this process, MB (Linux /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("VmRSS not found in /proc/self/status")


def _drive(job: TrainingJob, timeout: float = 600.0) -> list[dict[str, Any]]:
    """Poll ``job`` like the page does until it reports its end; every message, in order."""
    job.start()
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            messages += job.poll()
            if job.finished:
                return messages
            time.sleep(POLL_S)
        raise TimeoutError(f"training did not finish within {timeout:.0f} s")
    finally:
        job.stop()


def _rate(times: list[float]) -> float:
    """Epochs per second between the first and the last of these record times."""
    if len(times) < 2 or times[-1] <= times[0]:
        return float("nan")
    return (len(times) - 1) / (times[-1] - times[0])


def _worker_rate(x, model_config: ModelConfig, train_config: TrainConfig) -> float:
    messages = _drive(TrainingJob(x, model_config, train_config))
    times = [m["received_at"] for m in messages if m["type"] == "epoch"]
    if len(times) != train_config.epochs:
        end = next((m for m in messages if m["type"] in ("done", "error")), {})
        raise RuntimeError(f"the worker run ended early: {end}")
    return _rate(times)


def _engine_rate(x, model_config: ModelConfig, train_config: TrainConfig) -> float:
    from vae.training.fit import fit, split_data  # TensorFlow, in this (benchmark) process only

    x_train, x_val = split_data(x, train_config)
    times: list[float] = []
    fit(x_train, model_config, train_config, x_val, on_epoch=lambda record: times.append(time.monotonic()))
    return _rate(times)


def bench_worker_vs_engine(quick: bool = False) -> dict[str, Any]:
    """Epochs/s through TrainingJob + polling vs ``vae.training.fit.fit`` in-process, same settings.

    The two ways alternate (worker, engine, engine, worker, ...) and each keeps
    its best run, so a busy stretch on a shared machine cannot land on one way
    only.

    Args:
        quick: one pair of 60-epoch runs instead of five pairs of 300 (a noisier ratio).

    Returns:
        dict with ``epochs``, ``pairs``, ``worker_epochs_per_s``, ``engine_epochs_per_s``
        (best of the pairs), ``ratio`` (worker / engine), ``target`` (0.9) and ``passed``.
    """
    epochs, pairs = (60, 1) if quick else (300, 5)
    x = generate(DataConfig()).standardized()  # two moons, 2,000 points
    model_config, train_config = ModelConfig(), TrainConfig(epochs=epochs)
    worker_rates, engine_rates = [], []
    for pair in range(pairs):
        # Who goes first alternates too, so a slow drift of the machine favours neither.
        runs = [(worker_rates, _worker_rate), (engine_rates, _engine_rate)]
        for rates, measure in runs if pair % 2 == 0 else runs[::-1]:
            rates.append(measure(x, model_config, train_config))
    worker_rate, engine_rate = max(worker_rates), max(engine_rates)
    ratio = worker_rate / engine_rate
    return {
        "epochs": epochs,
        "pairs": pairs,
        "worker_epochs_per_s": round(worker_rate, 2),
        "engine_epochs_per_s": round(engine_rate, 2),
        "ratio": round(ratio, 3),
        "target": RATIO_TARGET,
        "passed": bool(ratio >= RATIO_TARGET),
    }


def bench_memory(n_runs: int = 20) -> dict[str, Any]:
    """This process's RSS growth over ``n_runs`` consecutive short trainings through TrainingJob.

    One warm-up run comes first, so one-time imports and caches are not counted.

    Returns:
        dict with ``n_runs``, ``rss_start_mb``, ``rss_end_mb``, ``growth_mb``,
        ``target_mb`` (50) and ``passed``.
    """
    if n_runs < 1:
        raise ValueError(f"n_runs must be >= 1. Received: n_runs={n_runs}")
    x = generate(DataConfig(n_samples=512)).standardized()
    model_config, train_config = ModelConfig(), TrainConfig(epochs=5)
    _drive(TrainingJob(x, model_config, train_config))  # warm-up
    gc.collect()
    start = _rss_mb()
    for _ in range(n_runs):
        messages = _drive(TrainingJob(x, model_config, train_config))
        del messages
    gc.collect()
    end = _rss_mb()
    growth = end - start
    return {
        "n_runs": n_runs,
        "rss_start_mb": round(start, 1),
        "rss_end_mb": round(end, 1),
        "growth_mb": round(growth, 1),
        "target_mb": MEMORY_TARGET_MB,
        "passed": bool(growth < MEMORY_TARGET_MB),
    }


if __name__ == "__main__":
    print(bench_worker_vs_engine(quick=True))
    print(bench_memory(3))
