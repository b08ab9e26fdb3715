"""A session's earlier runs and datasets: what tells runs apart, and how many fit in memory.

Pure Python and NumPy (no Streamlit): the Runs page lists, labels and filters
runs with these functions; a run replaced as the session's current one (a new
training, Reset, a restored bundle, an earlier run explored again) joins the
earlier runs through ``replace_current``.

Memory bound. A session keeps at most ``MAX_PAST_RUNS`` earlier runs and at
most ``PAST_RUNS_BUDGET_BYTES`` of their weights, snapshots and histories
(``run_nbytes``). Over the budget, the heaviest parts of the oldest runs go
first: their weight snapshots (the epoch replay; the final weights stay, so
the run can still be explored or continued), then the detail of long
histories (thinned to ``decimate.MAX_POINTS`` epochs, minima and maxima kept),
and only then whole runs, oldest first. Measured: the default model (2 -> 64 ->
32 -> 2 and back) has 4,742 parameters, 19 kB of weights; a 60-epoch run keeps
29 snapshots (every epoch up to 10, then log-spaced: 0.55 MB) and 60 history
records (about 0.5 kB each with sys.getsizeof), so 50 such runs hold 30 MB
with every snapshot kept. A 64-column digits model with 256-unit layers has
166,468 parameters (666 kB): a 60-epoch run's 29 snapshots take 19 MB and a
long run's up to 200 take 133 MB, more than the budget, so they go first, and
50 such runs then hold about 35 MB.

Datasets: the active one plus at most ``MAX_PAST_DATASETS`` earlier ones,
within ``PAST_DATASETS_BUDGET_BYTES`` (the oldest go first), so a user who
loads two moons for the tour can go back to their own data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vae.config import KIND_LABELS, DataConfig
from vae.core import decimate
from vae.data.dataset import Dataset
from vae.runs.run import Run
from vae.core.snapshots import SnapshotStore, nbytes

MAX_PAST_RUNS = 60  # "at least 50 runs in a session", with room to spare
PAST_RUNS_BUDGET_BYTES = 96 * 2**20  # weights + snapshots + histories of all earlier runs
HISTORY_RECORD_BYTES = 512  # a dict of 7-10 floats: 516 bytes by sys.getsizeof (keys are shared)
MAX_PAST_DATASETS = 5
PAST_DATASETS_BUDGET_BYTES = 256 * 2**20  # earlier datasets' values (the active one is not counted)


# --- memory -------------------------------------------------------------------------------------
def run_nbytes(run: Run) -> int:
    """Bytes a run holds: its weights, its snapshots and its history (estimated per record)."""
    weights = nbytes(run.weights) if run.weights is not None else 0
    return weights + run.snapshots.nbytes + HISTORY_RECORD_BYTES * len(run.history)


def _thin_history(run: Run) -> bool:
    if len(run.history) <= decimate.MAX_POINTS:
        return False
    loss = np.asarray([r.get("loss", math.nan) for r in run.history], dtype=np.float64)
    keep = decimate.decimate_indices(loss)
    run.history = [run.history[i] for i in keep]
    return True


def enforce_budget(
    runs: list[Run], budget: int = PAST_RUNS_BUDGET_BYTES, max_runs: int = MAX_PAST_RUNS
) -> list[str]:
    """Shrink ``runs`` (the session's earlier runs, oldest first) in place to at most ``max_runs``
    runs holding at most ``budget`` bytes.

    Returns:
        What was given up, one line each (for a caption), e.g. ``"snapshots of run 3"``.
    """
    given_up: list[str] = []
    while len(runs) > max_runs:
        runs.pop(0)
        given_up.append("the oldest run")

    def total() -> int:
        return sum(run_nbytes(r) for r in runs)

    for shrink, what in ((_drop_snapshots, "epoch snapshots"), (_thin_history, "history detail")):
        for i, run in enumerate(runs):
            if total() <= budget:
                return given_up
            if shrink(run):
                given_up.append(f"{what} of run {i + 1}")
    while runs and total() > budget:
        runs.pop(0)
        given_up.append("the oldest run")
    return given_up


def _drop_snapshots(run: Run) -> bool:
    if not len(run.snapshots):
        return False
    run.snapshots = SnapshotStore()
    return True


def replace_current(runs: list[Run], current: Run | None, new: Run | None) -> list[str]:
    """Make ``new`` the session's current run: the one archive of earlier runs.

    ``new`` leaves ``runs`` (when it was an earlier run); ``current``, the run it replaces,
    joins them as the newest (``archive``), without its optimizer state: an earlier model
    continues from its weights, and the state would only take memory.

    Returns:
        What was given up to stay within the bounds (see ``enforce_budget``).
    """
    if new is current:
        return []
    if new is not None:
        remove(runs, new)
    if current is None:
        return []
    current.state = None
    return archive(runs, current)


def archive(runs: list[Run], run: Run) -> list[str]:
    """Add ``run`` as the newest earlier run (once) and keep the list within its bounds."""
    if not any(r is run for r in runs) and run.history:
        runs.append(run)
    return enforce_budget(runs)


def remove(runs: list[Run], run: Run) -> None:
    """Take ``run`` (this very object, not an equal one) out of ``runs``."""
    runs[:] = [r for r in runs if r is not run]


def same_data(a: DataConfig, b: DataConfig) -> bool:
    """The same rows and scaling, whatever the UI called them."""
    return a.replace(name="") == b.replace(name="")


def keep_dataset(past: list[Dataset], previous: Dataset | None, active: Dataset) -> None:
    """Remember ``previous`` (the dataset ``active`` replaces) in ``past``, newest last, within bounds.

    The active dataset is never in ``past``; a rescaled copy of the same rows replaces its original
    (the Data page's scaling choice is a setting of one dataset, not a new one).
    """

    def rows_of(d: Dataset) -> DataConfig:
        return d.config.replace(name="", scaling=active.config.scaling)

    past[:] = [d for d in past if rows_of(d) != rows_of(active)]
    if previous is not None and rows_of(previous) != rows_of(active):
        past[:] = [d for d in past if not same_data(d.config, previous.config)] + [previous]
    while len(past) > MAX_PAST_DATASETS or (
        past and sum(d.values.nbytes for d in past) > PAST_DATASETS_BUDGET_BYTES
    ):
        past.pop(0)


# --- what tells runs apart ----------------------------------------------------------------------
def dataset_name(run: Run) -> str:
    return run.data_config.name or run.data_config.preset


def _units(units: tuple[int, ...]) -> str:
    return "-".join(str(u) for u in units)


@dataclass(frozen=True)
class RunField:
    """One setting or outcome a run can differ in.

    Attributes:
        column: its column in the runs table.
        read: its value for a run (compared between runs).
        text: the value as the table shows it.
        label: how a legend names it, ``{}`` standing for ``text``, e.g. ``"seed {}"``.
    """

    column: str
    read: Callable[[Run], Any]
    text: Callable[[Any], str] = str
    label: str = "{}"

    def name(self, run: Run) -> str:
        return self.label.format(self.text(self.read(run)))


FIELDS: tuple[RunField, ...] = (
    RunField("dataset", dataset_name),
    RunField("trained in", lambda r: r.origin or "Train"),
    RunField("kind", lambda r: r.model_config.kind, KIND_LABELS.get),
    RunField("beta", lambda r: r.model_config.beta, lambda v: f"{v:g}", "β {}"),
    RunField(
        "layers",
        lambda r: (r.model_config.encoder_units, r.model_config.decoder_units),
        lambda v: f"{_units(v[0])} / {_units(v[1])}",
        "layers {}",
    ),
    RunField("activation", lambda r: r.model_config.activation),
    RunField("lr", lambda r: r.train_config.learning_rate, lambda v: f"{v:g}", "lr {}"),
    RunField("batch", lambda r: r.train_config.batch_size, label="batch {}"),
    RunField("warm-up", lambda r: r.train_config.kl_warmup_epochs, label="warm-up {}"),
    RunField("epochs", lambda r: r.epochs_done, label="{} epochs"),
    RunField("seed", lambda r: r.train_config.seed, label="seed {}"),
)


def differing(runs: list[Run]) -> list[RunField]:
    """The fields whose value is not the same for every run."""
    return [f for f in FIELDS if len({repr(f.read(r)) for r in runs}) > 1]


def labels(runs: list[Run], numbers: list[int]) -> list[str]:
    """One label per run naming what sets it apart from the others, e.g. ``"run 3 · β 4 · seed 1"``.

    Args:
        runs: the runs shown together (a chart's legend, a list).
        numbers: each run's number in the session (shown first).

    Returns:
        Labels in the order of ``runs``. When nothing differs (one run, or the same
        settings twice), the label names the model and its epochs.
    """
    fields = differing(runs) or [f for f in FIELDS if f.column in ("kind", "beta", "epochs")]
    return [f"run {n} · " + " · ".join(f.name(r) for f in fields) for r, n in zip(runs, numbers, strict=True)]


def _cell(field: RunField, run: Run) -> Any:
    value = field.read(run)
    return value if isinstance(value, (int, float)) else field.text(value)  # numbers stay sortable


def settings_rows(runs: list[Run], numbers: list[int]) -> list[dict[str, Any]]:
    """The runs table: every field, the last loss and the status, one row per run."""
    return [
        {
            "run": n,
            **{f.column: _cell(f, r) for f in FIELDS},
            "last loss": r.last_loss,
            "status": r.status,
        }
        for r, n in zip(runs, numbers, strict=True)
    ]
