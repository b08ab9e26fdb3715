"""The sidebar every page shares: the session's dataset and model at a glance, and the next step.

While a training runs (or is about to start, on Train's autostart), the status
is a fragment that polls once a second, so it follows the run on every page
without rerunning the page. When the run ends it reruns the app once (except
on Train, whose own live view hands over: to Explore on Home's tour), so the
page's controls and captions catch up and polling stops. It follows Compare's
queue the same way: a page the user reads may never rerun, and queued models
start only when the queue is pumped, so the poll pumps it on every page (not a
thread: pumping needs the session, and stops with it when the tab closes).
"""

from __future__ import annotations

import streamlit as st

from vae.ui import compare_view, empty_state, state, training
from vae.ui.text import badge, plain

POLL_S = 1.0


def render(page_path: str = "") -> None:
    """Draw the session status into the sidebar; ``page_path`` is the page's URL path ("" for Home)."""
    training.sync()  # never blocks: every page sees the latest epoch and weights
    live = training.job_running() or state.autostart_pending()
    comparing = _comparing()
    with st.sidebar, st.container(key="ll_session"):
        st.fragment(_status, run_every=POLL_S if live or comparing else None)(live, comparing, page_path)
        # Outside the polling fragment: a mismatch appears only on a new dataset or run (full reruns),
        # and a click here must open the Train page, which a fragment's rerun would not.
        mismatch = empty_state.model_mismatch(state.get_run(), state.get_dataset())
        if mismatch and not state.autostart_pending():  # pending: Train is about to replace the model
            st.caption(f"{badge('Other data', 'orange')} {mismatch}")
            empty_state.train_on_current_data(key="ll_sidebar_retrain", label="Train on this dataset")


def _comparing() -> bool:
    """Whether this session's comparison trains on the current dataset (one on other data waits,
    as on the Compare page)."""
    comparison, dataset = state.get_comparison(), state.get_dataset()
    return (
        comparison is not None
        and dataset is not None
        and comparison.is_active
        and comparison.matches(dataset)
    )


def _status(live: bool, comparing: bool, page_path: str) -> None:
    if live:
        training.sync()
    if comparing:
        if _comparing():  # still on its dataset (a fragment elsewhere may have changed it)
            compare_view.pump(state.get_comparison(), state.get_dataset())  # starts queued models
        if not _comparing():
            st.rerun(scope="app")  # the comparison ended: the page catches up (Compare shows its results)
    dataset, run = state.get_dataset(), state.get_run()
    st.markdown("**This session**")
    if dataset is None:
        st.caption("Dataset: none yet")
        st.page_link("pages/data.py", label="Choose a dataset →")
        st.page_link("pages/home.py", label="…or try the one-click tour →")
        return
    st.caption(f"Dataset: {plain(dataset.name)} · {dataset.n_rows:,} rows × {dataset.n_dims} columns")
    comparison = state.get_comparison()
    if comparison is not None and comparison.matches(dataset) and page_path != "compare":  # it shows its own
        done = sum(not e.is_active for e in comparison.entries.values())
        st.caption(f"Compare: {done} of {len(comparison.entries)} models done")
    if run is None:
        st.caption("Model: not trained yet")
        st.page_link("pages/train.py", label="Train a model →")
        return
    loss = f"{run.last_loss:.3f}" if run.history else "—"
    st.caption(f"Model: {run.model_config.label} · {run.status} · epoch {run.epochs_done} · loss {loss}")
    if run.is_active:
        st.page_link("pages/train.py", label="Watch it train →")
    if run.usable and run.model_config.input_dim == dataset.n_dims:
        st.page_link("pages/explore.py", label="Explore the latent plane →")
    if live and not run.is_active and not training.job_running() and page_path != "train":
        state.take_then_explore()  # the tour's run ended while the user was elsewhere: no surprise jump
        st.rerun(scope="app")  # the run ended: let the page catch up, and stop polling
