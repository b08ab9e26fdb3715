"""What the Runs page does to one of the session's runs: restore it from a bundle, make it current
again, continue training it, load its settings into the Train form, delete it.

Each reads and writes the session through ``vae.ui.state``; the run it replaces is kept among the
earlier runs. ``vae.ui.runs_panel`` draws the buttons.
"""

from __future__ import annotations

import streamlit as st

from vae.data.dataset import DataError, Dataset
from vae.data.presets import generate
from vae.runs import session_runs
from vae.runs.run import Run
from vae.storage.bundle_format import BundleError
from vae.storage.bundle_load import load_bundle
from vae.ui import state, train_form, training
from vae.ui.text import plain


def restore(data: bytes) -> tuple[Run, list[str]]:
    """Load a bundle and make it the session's run and dataset; returns it and the Train form's notes.

    Raises:
        BundleError: and then nothing in the session has changed.
    """
    if training.job_running():
        raise BundleError("A training is running; stop it on the Train page, then restore the bundle.")
    run, dataset = load_bundle(data)
    notes = _become_current(run, dataset, "the bundle")
    state.mark_saved(run)  # it came from a file: nothing to lose on reload
    return run, notes


def _become_current(run: Run, dataset: Dataset, source: str) -> list[str]:
    """``run`` and ``dataset`` become the session's; returns the Train form's notes on its settings."""
    if run is not state.get_run():
        state.make_current(run)
        state.set_job(None)
    if state.get_dataset() is not dataset:
        state.set_dataset(dataset)
    st.session_state.pop(state.TRAIN_VIEWS, None)  # the Train page's cached curves of the old run
    # The Train page's Continue applies the form's learning rate and beta, and Train again trains the
    # form: both must be this run's, not the settings of the run the form held before.
    return train_form.load(run.model_config, run.train_config, source)


def dataset_for(run: Run) -> Dataset | None:
    """The data ``run`` was trained on, if this session still has it (or can rebuild a preset)."""
    for candidate in (state.get_dataset(), *reversed(state.past_datasets())):
        if candidate is not None and session_runs.same_data(candidate.config, run.data_config):
            return candidate
    if run.data_config.source == "preset":
        try:
            return generate(run.data_config)
        except (DataError, ValueError):
            return None
    return None


def make_current(run: Run) -> str | None:
    """Make an earlier run the session's run again, with its dataset and its settings in the Train form;
    returns None, or why not (a training is running, its data are gone)."""
    if training.job_running():
        return "A training is running: stop it on the Train page first, then bring this run back."
    dataset = dataset_for(run)
    if dataset is None:
        return (
            f"This run was trained on {plain(session_runs.dataset_name(run))}, which this session no longer "
            "holds: load that file on the Data page again (same columns), then bring the run back."
        )
    _become_current(run, dataset, "the run")
    return None


def continue_run(run: Run) -> str | None:
    """Make ``run`` current again and train it further, from its weights, on its own dataset; returns
    None, or why not (a training is running, its data are gone, the server's training limit).

    A model trains only on the data it was made for: when another dataset is active, the run's own
    dataset comes back (the active one stays among the earlier datasets) and the Train page says so.
    """
    before = state.get_dataset()
    problem = make_current(run) or training.continue_training(state.get_dataset())
    dataset = state.get_dataset()
    if problem is None and before is not None and before is not dataset:
        state.note_on_train(
            run,
            f"This run continues on its own dataset, {plain(dataset.name)} ({dataset.n_rows:,} rows × "
            f"{dataset.n_dims} columns); a model trains only on the data it was made for. The dataset "
            f"that was active, {plain(before.name)}, is under Earlier datasets on the Runs page.",
        )
    return problem


def load_settings(run: Run) -> str:
    """Put ``run``'s settings into the Train form (and its dataset, if here); returns what happened."""
    notes = train_form.load(run.model_config, run.train_config, "the run")
    dataset = dataset_for(run)
    said = "Its settings are in the Train form"
    if dataset is None:
        said += (
            f"; its dataset ({plain(session_runs.dataset_name(run))}) is no longer here, so load it on Data"
        )
    elif state.get_dataset() is not dataset:
        state.set_dataset(dataset)
        said += f", and its dataset ({plain(dataset.name)}) is active again"
    return " ".join([said + ": press Start on the Train page to train it again.", *notes])


def delete(run: Run) -> None:
    """Forget a run (the current one too, unless it is training)."""
    if run is state.get_run():
        state.set_run(None)
        state.set_job(None)
    session_runs.remove(state.past_runs(), run)
