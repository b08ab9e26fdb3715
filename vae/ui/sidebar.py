"""The sidebar every page shares: the session's dataset and model at a glance."""

from __future__ import annotations

import streamlit as st

from vae.ui import state, training


def render() -> None:
    training.sync()  # never blocks: every page sees the latest epoch and weights
    dataset, run = state.get_dataset(), state.get_run()
    with st.sidebar:
        st.markdown("**This session**")
        if dataset is None:
            st.caption("Dataset: none yet")
            st.page_link("pages/data.py", label="Choose a dataset →")
            return
        st.caption(f"Dataset: {dataset.name} · {dataset.n_rows:,} rows × {dataset.n_dims} columns")
        if run is None:
            st.caption("Model: not trained yet")
            st.page_link("pages/train.py", label="Train a model →")
            return
        loss = f"{run.last_loss:.3f}" if run.history else "—"
        st.caption(f"Model: {run.model_config.label} · {run.status} · epoch {run.epochs_done} · loss {loss}")
        if run.usable:
            st.page_link("pages/explore.py", label="Explore the latent plane →")
