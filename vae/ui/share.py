"""Streamlit glue for shareable links: settings <-> ``st.query_params``.

``read_query_params()`` runs once per browser session when the app starts: it
turns the link's parameters (``vae.storage.share``) into the active preset dataset and
the Train form's values, and says which parameters it ignored and why.
``sync_query_params()`` runs on every rerun afterwards and keeps the address
bar showing the current settings, so copying the URL shares them (as in
TensorFlow Playground). Only Latent Lab's own parameter names are touched.
app.py calls both, after ``st.navigation`` and before ``page.run()``.
"""

from __future__ import annotations

import streamlit as st

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.dataset import DataError
from vae.data.presets import generate
from vae.storage import share
from vae.ui import state, train_form
from vae.ui.text import plain

APPLIED = "ll_share_applied"  # bool: this session has read its link


def read_query_params() -> None:
    """Apply the link's settings once per session; ignored parameters are listed in one ``st.warning``."""
    if st.session_state.get(APPLIED):
        return
    st.session_state[APPLIED] = True
    params = st.query_params.to_dict()
    if not any(name in share.KNOWN for name in params):
        return
    shared = share.from_params(params)
    notes = list(shared.warnings)
    if shared.data_config is not None:
        try:
            state.set_dataset(generate(shared.data_config))
        except (DataError, ValueError) as err:
            notes.append(f"Could not build the dataset from the link: {err}")
    # Every form field: the link's settings over the defaults (a link holds only what differs).
    notes += train_form.load(
        shared.model_config, shared.train_config, "the link", own_budget="epochs" in shared.given
    )
    # Count what was applied: the dataset's settings if it was built, and the hyperparameters.
    data_names = [n for n in shared.given if n in share.DATA_PARAMS] if state.get_dataset() else []
    form_names = [n for n in shared.given if n in share.SETTINGS]
    restored = len(data_names) + len(form_names)
    if restored:
        st.toast(f"Restored {restored} setting(s) from the link.")
    if notes:
        st.warning(
            "Some settings in the link were not used:\n\n" + "\n\n".join(f"- {plain(n)}" for n in notes[:8]),
        )


def current_settings() -> tuple[DataConfig | None, ModelConfig | None, TrainConfig | None]:
    """The settings the address bar should show: the active preset and the Train form (or the run)."""
    dataset, run = state.get_dataset(), state.get_run()
    data_config = dataset.config if dataset is not None else None
    model_config = run.model_config if run is not None else None
    train_config = run.train_config if run is not None else None
    if any(key in st.session_state for key in train_form.DEFAULTS):
        form = train_form.current(dataset.n_dims if dataset is not None else 2)
        if form.model_config is not None and form.train_config is not None:
            model_config, train_config = form.model_config, form.train_config
    return data_config, model_config, train_config


def sync_query_params() -> None:
    """Keep the address bar in step with the session's settings (call on every rerun)."""
    if not st.session_state.get(APPLIED):
        return  # the link has not been read yet: do not overwrite it
    wanted = share.to_params(*current_settings())
    current = {k: v for k, v in st.query_params.to_dict().items() if k in share.KNOWN}
    if current == wanted:
        return  # each write updates the browser's URL; skip the no-ops
    for key in current:
        if key not in wanted:
            del st.query_params[key]
    for key, value in wanted.items():
        if current.get(key) != value:
            st.query_params[key] = value
