"""The view picker shared by the Data and Train previews: PCA, two columns, or a scatter matrix.

The choice lives in a non-widget session key (``state.PREVIEW_VIEW``), so it
survives page switches and both pages show the same view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import streamlit as st

from vae.data import views
from vae.data.dataset import Dataset
from vae.ui import data_view, state
from vae.ui.text import plain


def _store(key: str, field: str) -> None:
    value = st.session_state[key]
    state.set_preview_view(
        replace(state.get_preview_view(), **{field: tuple(value) if field == "matrix" else value})
    )


def view_picker(columns: Sequence[str], key: str) -> views.ViewChoice:
    """Let the user choose how to show more than 2 ``columns``; return the choice (2-D data: its columns).

    ``key`` prefixes the widgets' keys (one picker per page).
    """
    choice = state.get_preview_view()
    if len(columns) <= 2:
        return choice
    names = list(columns)
    kind_key, x_key, y_key, matrix_key = (f"{key}_{name}" for name in ("kind", "x", "y", "matrix"))
    # Widgets forget their value when the page changes: set them from the kept choice each run.
    st.session_state[kind_key] = choice.kind
    with st.container(key=f"{key}_picker"):  # not horizontal: in a half-width column the choices wrap
        kind = st.segmented_control(
            "View",
            list(views.VIEW_TITLES),
            format_func=views.VIEW_TITLES.get,
            required=True,
            key=kind_key,
            on_change=_store,
            args=(kind_key, "kind"),
            help=f"{len(columns)} columns: show a PCA plane of all of them, any two, "
            f"or a scatter matrix of up to {views.MAX_MATRIX_COLUMNS}.",
        )
    if kind == "columns":
        with st.container(horizontal=True, key=f"{key}_columns"):
            x, y = views.pick_columns(names, choice)
            st.session_state[x_key], st.session_state[y_key] = x, y
            st.selectbox("Horizontal", names, key=x_key, on_change=_store, args=(x_key, "x"))
            st.selectbox("Vertical", names, key=y_key, on_change=_store, args=(y_key, "y"))
    if kind == "matrix":
        st.session_state[matrix_key] = list(views.matrix_columns(names, choice))
        st.multiselect(
            f"Columns of the scatter matrix (2 to {views.MAX_MATRIX_COLUMNS})",
            names,
            key=matrix_key,
            max_selections=views.MAX_MATRIX_COLUMNS,
            on_change=_store,
            args=(matrix_key, "matrix"),
        )
    return state.get_preview_view()


def show(dataset: Dataset, key: str) -> None:
    """The preview of a dataset: digits as images, everything else as a scatter in the chosen view."""
    if dataset.n_dims == 64 and dataset.config.preset == "digits":
        st.plotly_chart(data_view.digits_figure(dataset.values, dataset.labels), key=key)
        st.caption(
            f"First 40 of {dataset.n_rows:,} images (8 × 8 pixels, 64 columns); labels are the digits."
        )
        return
    view = view_picker(dataset.columns, f"{key}_view")
    fig, note = data_view.scatter_figure(
        dataset.values, columns=dataset.columns, labels=dataset.labels, view=view
    )
    st.plotly_chart(fig, key=key)
    if note:
        st.caption(plain(note))
