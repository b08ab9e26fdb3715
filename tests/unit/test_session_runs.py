"""vae.runs.session_runs: 50+ runs within the memory bound (snapshots go first), labels, earlier datasets."""

from __future__ import annotations

import numpy as np

from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core.snapshots import SnapshotStore
from vae.data.presets import generate
from vae.runs import session_runs
from vae.runs.run import Run

MB = 2**20


def trained_run(
    epochs: int = 60,
    *,
    model: ModelConfig | None = None,
    data: DataConfig | None = None,
    seed: int = 0,
    snapshots: bool = True,
) -> Run:
    """A run as the Train page leaves it: history, final weights and a snapshot per kept epoch."""
    model = model or ModelConfig()
    store = SnapshotStore()
    for epoch in range(1, epochs + 1):
        store.add(epoch, random_weights(model, epoch) if snapshots else None)
    history = [
        {"epoch": e, "loss": 3.0 / e, "recon": 2.0 / e, "kl": 1.0 / e, "seconds": 0.01}
        for e in range(1, epochs + 1)
    ]
    return Run(
        data or DataConfig(n_samples=300),
        model,
        TrainConfig(seed=seed, epochs=epochs),
        history=history,
        weights=random_weights(model, 0),
        status="finished",
        snapshots=store,
    )


def test_fifty_default_runs_fit_with_every_snapshot_kept():
    runs: list[Run] = []
    for seed in range(55):
        session_runs.archive(runs, trained_run(seed=seed))
    assert len(runs) == 55 and [r.train_config.seed for r in runs] == list(range(55))
    assert all(len(r.snapshots) == len(trained_run().snapshots) for r in runs)  # nothing given up
    total = sum(session_runs.run_nbytes(r) for r in runs)
    assert total <= session_runs.PAST_RUNS_BUDGET_BYTES
    # A 60-epoch default run holds 0.5 to 1.3 MB of snapshots (19 kB each, every epoch up to 10).
    assert 0.5 * MB < runs[0].snapshots.nbytes < 1.3 * MB


def test_heavy_runs_lose_their_snapshots_before_any_run_is_dropped():
    wide = ModelConfig(input_dim=64, encoder_units=(256, 256), decoder_units=(256, 256))
    runs: list[Run] = []
    for seed in range(50):
        session_runs.archive(runs, trained_run(20, model=wide, seed=seed))
    assert len(runs) == 50  # every run is still there, explorable (final weights kept)
    assert all(r.usable for r in runs)
    assert sum(session_runs.run_nbytes(r) for r in runs) <= session_runs.PAST_RUNS_BUDGET_BYTES
    kept = [len(r.snapshots) for r in runs]
    all_of_them = len(trained_run(20, model=wide).snapshots)
    assert kept[0] == 0 and kept[-1] == all_of_them  # the oldest gave theirs up, the newest keep them
    assert kept == sorted(kept)


def test_long_histories_are_thinned_then_the_oldest_runs_dropped():
    runs = [trained_run(5000, seed=s, snapshots=False) for s in range(3)]
    given_up = session_runs.enforce_budget(runs, budget=3 * 1100 * session_runs.HISTORY_RECORD_BYTES)
    assert len(runs) == 3 and all(len(r.history) <= 1000 for r in runs)
    assert all(r.history[0]["epoch"] == 1 and r.history[-1]["epoch"] == 5000 for r in runs)
    assert given_up == ["history detail of run 1", "history detail of run 2", "history detail of run 3"]
    session_runs.enforce_budget(runs, budget=2 * 1100 * session_runs.HISTORY_RECORD_BYTES)
    assert [r.train_config.seed for r in runs] == [1, 2]  # then the oldest run goes
    many = [trained_run(2, seed=s, snapshots=False) for s in range(70)]
    session_runs.enforce_budget(many)
    assert len(many) == session_runs.MAX_PAST_RUNS and many[0].train_config.seed == 10


def test_archive_keeps_a_run_once_and_skips_runs_with_no_epoch():
    runs: list[Run] = []
    run = trained_run(3)
    session_runs.archive(runs, run)
    session_runs.archive(runs, run)
    session_runs.archive(runs, Run(DataConfig(), ModelConfig(), TrainConfig()))
    assert runs == [run]
    session_runs.remove(runs, run)
    assert runs == []


def test_labels_name_only_what_differs():
    moons, blobs = DataConfig(n_samples=300), DataConfig(preset="blobs", n_samples=300, name="blobs")
    a = trained_run(5, seed=0, data=moons)
    b = trained_run(5, seed=1, data=moons)
    c = trained_run(5, seed=1, data=moons, model=ModelConfig(beta=4.0, encoder_units=(16,)))
    assert session_runs.labels([a, b], [1, 2]) == ["run 1 · seed 0", "run 2 · seed 1"]
    assert session_runs.labels([b, c], [2, 3]) == [
        "run 2 · β 1 · layers 64-32 / 32-64",
        "run 3 · β 4 · layers 16 / 32-64",
    ]
    d = trained_run(9, seed=0, data=blobs)
    assert session_runs.labels([a, d], [1, 4]) == ["run 1 · two_moons · 5 epochs", "run 4 · blobs · 9 epochs"]
    assert session_runs.labels([a], [7]) == ["run 7 · VAE · β 1 · 5 epochs"]  # nothing to compare with
    rows = session_runs.settings_rows([a, c], [1, 3])
    assert rows[1]["layers"] == "16 / 32-64" and rows[1]["beta"] == 4.0 and rows[1]["seed"] == 1
    assert rows[0]["kind"] == "VAE" and rows[0]["last loss"] == 3.0 / 5


def test_earlier_datasets_are_kept_once_newest_last_and_bounded():
    moons = generate(DataConfig(n_samples=300, name="Two moons"))
    blobs = generate(DataConfig(preset="blobs", n_samples=300))
    past: list = []
    session_runs.keep_dataset(past, None, moons)
    assert past == []
    session_runs.keep_dataset(past, moons, blobs)
    assert past == [moons]
    session_runs.keep_dataset(past, blobs, moons)  # back to moons: it leaves the list, blobs joins
    assert past == [blobs]
    rescaled = generate(DataConfig(n_samples=300, name="Two moons", scaling="minmax"))
    session_runs.keep_dataset(past, moons, rescaled)  # the same rows rescaled: not a new dataset
    assert past == [blobs]
    for seed in range(10):
        session_runs.keep_dataset(past, generate(DataConfig(n_samples=50, seed=seed)), moons)
    assert len(past) == session_runs.MAX_PAST_DATASETS
    assert past[-1].config.seed == 9 and all(not np.array_equal(d.values, moons.values) for d in past)


def test_replace_current_is_the_one_archive_of_earlier_runs():
    from vae.runs.run import TrainState

    runs: list[Run] = []
    first, second = trained_run(seed=1), trained_run(seed=2)
    first.state = TrainState(first.weights, None, 60)
    assert session_runs.replace_current(runs, None, first) == [] and runs == []
    session_runs.replace_current(runs, first, second)  # a new training replaces the first
    assert runs == [first] and first.state is None  # an earlier run keeps no optimizer state
    assert first.can_continue  # it continues from its weights with a fresh optimizer
    session_runs.replace_current(runs, second, first)  # the first is current again (Runs page)
    assert [r.train_config.seed for r in runs] == [2]
    session_runs.replace_current(runs, first, first)  # already current: nothing moves
    assert [r.train_config.seed for r in runs] == [2]
    session_runs.replace_current(runs, first, None)  # Reset
    assert [r.train_config.seed for r in runs] == [2, 1]
    never_trained = Run(DataConfig(), ModelConfig(), TrainConfig(), status="failed")
    session_runs.replace_current(runs, never_trained, None)  # nothing to keep from a run without epochs
    assert len(runs) == 2
