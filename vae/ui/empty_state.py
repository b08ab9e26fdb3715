"""Empty states: say what is missing and offer one click that fixes it.

Every page that needs a dataset or a trained model shows one of these instead
of an empty chart, so a newcomer is never left on a page with nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from vae.config import DataConfig
from vae.data.dataset import Dataset
from vae.data.presets import generate
from vae.runs.run import Run
from vae.ui import state, training
from vae.ui.text import plain


def _use_two_moons() -> None:
    state.set_dataset(generate(DataConfig()))


def _side_by_side():
    """The one click and its alternative next to each other (columns left a gap as wide as the page)."""
    return st.container(horizontal=True, vertical_alignment="center", gap="medium")


def offer_dataset(message: str, key: str) -> None:
    """Explain that there is no dataset; a button loads two moons, a link opens Data."""
    st.info(message)
    with _side_by_side():
        st.button("Use two moons (2,000 points)", type="primary", key=key, on_click=_use_two_moons)
        st.page_link("pages/data.py", label="Or choose, draw or upload one on the Data page →")


def offer_model(message: str, key: str) -> None:
    """Explain that there is no trained model; a button trains the default one, a link opens Train.

    The button uses two moons when there is no dataset yet, asks the Train page
    to start the default settings, and opens it, so the progress is in view.
    """
    st.info(message)
    with _side_by_side():
        if st.button("Train a quick default model", type="primary", key=key):
            if state.get_dataset() is None:
                _use_two_moons()
            state.request_autostart()
            st.switch_page("pages/train.py")
        st.page_link("pages/train.py", label="Or choose the settings on the Train page →")


def model_mismatch(run: Run | None, dataset: Dataset | None) -> str | None:
    """Why the session's model cannot read the current dataset (another number of columns), or None.

    A model takes rows of exactly ``input_dim`` columns: after a new dataset
    with another width (two moons, then a 4-column CSV) every decoder, encoder
    and chart of that model would fail, so pages ask this first.
    """
    if run is None or dataset is None or run.model_config.input_dim == dataset.n_dims:
        return None
    return (
        f"This model was trained on {run.model_config.input_dim} columns, but the current dataset "
        f"({plain(dataset.name)}) has {dataset.n_dims}, so the model cannot read it."
    )


def train_on_current_data(key: str, on_click: Callable[[], None] | None = None, label: str = "") -> None:
    """One click that trains the default model on the current dataset (on the Train page).

    Args:
        key: the button's widget key.
        on_click: what the click does instead (the Train page starts its own form's settings).
        label: the button's text (default: names the current dataset).
    """
    dataset = state.get_dataset()
    label = label or f"Train a model on {plain(dataset.name) if dataset is not None else 'this dataset'}"
    if on_click is not None:
        st.button(label, type="primary", key=key, on_click=on_click)
    elif st.button(label, type="primary", key=key):
        if training.job_running():
            training.stop()  # the running model reads the old columns: Start on new data must not wait for it
        state.request_autostart()
        st.switch_page("pages/train.py")


def offer_retrain(message: str, key: str, on_click: Callable[[], None] | None = None) -> None:
    """Say why the model does not fit the current data and offer the one click that trains one that does."""
    st.warning(f"{message} Train a model on the current data to go on.")
    train_on_current_data(key, on_click)
