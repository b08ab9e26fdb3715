"""Benchmarks of the Train page's live view (``python -m vae bench --only live``).

- Server time of one live update at epoch 100, 10,000 and 100,000: what the
  polling fragment does after draining the worker, i.e. ``vae.ui.train_live.render``
  (read the new epoch records, decimate the curves, encode and decode the
  drawn rows, build the three plots' data and Streamlit's messages), run in
  Streamlit's bare mode on a 200-row dataset with ~60 new epochs and new
  weights per update (a 200-row run trains ~250 epochs/s; the page polls 4x/s).
- Bytes per update: the JSON the three plots receive.
- Snapshot memory per run: a ``SnapshotStore`` offered each of 100,000 epochs
  of the default model (the most it keeps: the worker offers only the last
  epoch of each compiled call), against ``snapshots.memory_bound_bytes``.

Not timed tests: each figure is reported with its target.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import numpy as np

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core.decode import NetworkWeights, weights_from_arrays
from vae.data.presets import generate

EPOCHS = (100, 10_000, 100_000)
NEW_EPOCHS_PER_UPDATE = 60
P95_TARGET_MS = 100.0


def _weights(config: ModelConfig, seed: int) -> NetworkWeights:
    from vae.storage.bundle_weights import weight_layout

    rng = np.random.default_rng(seed)
    arrays = []
    for _, kernel, bias in weight_layout(config).values():
        arrays += [rng.normal(0, 0.5, kernel).astype(np.float32), rng.normal(0, 0.1, bias).astype(np.float32)]
    return weights_from_arrays(config, arrays)


def _records(start: int, n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    return [
        {
            "epoch": e,
            "loss": 5.0 / e**0.3 + 0.05 * rng.random(),
            "recon": 3.0 / e**0.3,
            "kl": 2.0,
            "penalty": 0.0,
            "beta": 1.0,
            "learning_rate": 1e-3,
            "seconds": 0.004,
        }
        for e in range(start, start + n)
    ]


def bench_live_updates(updates: int = 60) -> dict[str, Any]:
    """p50 / p95 server milliseconds and JSON bytes per live update at each of ``EPOCHS``."""
    from vae.runs.run import Run
    from vae.ui import train_live, train_views

    # Bare mode warns on every call that there is no session: expected here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)

    dataset = generate(DataConfig(n_samples=200, seed=5))
    config = ModelConfig()
    run = Run(
        data_config=dataset.config,
        model_config=config,
        train_config=TrainConfig(epochs=100_000),
        status="training",
    )
    rng = np.random.default_rng(0)
    out: dict[str, Any] = {}
    for target in EPOCHS:
        run.history += _records(run.epochs_done + 1, target - run.epochs_done, rng)
        train_live.render(dataset, run, log_y=True)  # catch up (the page has been polling all along)
        times = []
        for i in range(updates):
            run.history += _records(run.epochs_done + 1, NEW_EPOCHS_PER_UPDATE, rng)
            run.weights = _weights(config, i)
            start = time.perf_counter()
            train_live.render(dataset, run, log_y=True)
            times.append(time.perf_counter() - start)
        view = train_views.ViewData.of(dataset, config.latent_dim)
        cache = train_live.Cache()
        cache.curves.update(run.history)
        specs = [
            train_views.loss_spec(cache.curves, log_y=True, total_epochs=100_000),
            train_views.panel_spec(dataset, view, run.weights),
            train_views.latent_spec(view, run.weights),
        ]
        out[f"live_update_p50_ms_{target}"] = float(np.percentile(times, 50) * 1e3)
        out[f"live_update_p95_ms_{target}"] = float(np.percentile(times, 95) * 1e3)
        out[f"live_update_bytes_{target}"] = sum(len(json.dumps(s)) for s in specs)
        del run.history[target:]  # the next size starts from this one's epochs
    out["live_update_p95_ms"] = out[f"live_update_p95_ms_{EPOCHS[-1]}"]
    return out


def bench_snapshot_memory(epochs: int = 100_000) -> dict[str, Any]:
    """Snapshots kept and bytes held after an open-ended run of ``epochs``, against the stated bound."""
    from vae.core.snapshots import SnapshotSchedule, SnapshotStore, memory_bound_bytes

    config = ModelConfig()
    schedule, store = SnapshotSchedule(), SnapshotStore()
    weights = _weights(config, 0)
    for epoch in range(1, epochs + 1):
        keep, _ = schedule.offer(epoch)  # the worker's copy of the schedule, offered every epoch
        # A fresh copy per sent snapshot, as each arrives unpickled from the worker.
        sent = keep or epoch == epochs
        store.add(epoch, _weights(config, epoch) if sent else None)
    return {
        "snapshot_count": len(store),
        "snapshot_mb": store.nbytes / 1e6,
        "snapshot_bound_mb": memory_bound_bytes(config) / 1e6,
        "snapshot_epochs": epochs,
        "snapshot_weights_kb": sum(a.nbytes for a in weights.arrays()) / 1e3,
    }


def format_markdown(result: dict[str, Any]) -> list[str]:
    """The "Live view" section of BENCHMARKS.md."""
    lines = [
        "## Live view (Train page)",
        "",
        "Server time of one live update (`vae.ui.train_live.render`: new records, decimated curves, "
        "encoded rows, the three plots' data and Streamlit's messages) on a 200-row dataset with "
        f"{NEW_EPOCHS_PER_UPDATE} new epochs and new weights per update; bytes are the plots' JSON. "
        f"Target: p95 under {P95_TARGET_MS:g} ms at epoch 100,000, refreshed 4 times a second.",
        "",
        "| epoch | p50 (ms) | p95 (ms) | bytes per update |",
        "|---|---|---|---|",
    ]
    for epochs in EPOCHS:
        if f"live_update_p50_ms_{epochs}" in result:
            lines.append(
                f"| {epochs:,} | {result[f'live_update_p50_ms_{epochs}']:.1f} | "
                f"{result[f'live_update_p95_ms_{epochs}']:.1f} | {result[f'live_update_bytes_{epochs}']:,} |"
            )
    if "snapshot_mb" in result:
        lines += [
            "",
            f"Snapshot memory per run: {result['snapshot_count']} snapshots after "
            f"{result['snapshot_epochs']:,} epochs of the default model, every epoch offered to the "
            "schedule (the most it keeps; the worker offers only each compiled call's last epoch), hold "
            f"{result['snapshot_mb']:.2f} MB "
            f"({result['snapshot_weights_kb']:.1f} kB each); the bound for this model is "
            f"{result['snapshot_bound_mb']:.2f} MB (`vae.core.snapshots.memory_bound_bytes`: at most 200 "
            "snapshots plus the newest, whatever the run's length).",
        ]
    return lines
