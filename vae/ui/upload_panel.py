"""The Data page's upload tab: read a CSV once, propose column roles, let the user change them.

The upload and its choices live in one non-widget session key (``state.UPLOAD``)
until another file replaces it: leaving the page and coming back shows the
same file and choices, ready to change (the file uploader itself forgets).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import streamlit as st

from vae.config import DataConfig, MissingValues
from vae.data import columns as column_roles
from vae.data.build import build_dataset
from vae.data.csv_reader import Table, read_table
from vae.data.dataset import MAX_ROWS, DataError, Dataset
from vae.settings import schema
from vae.ui import preview, state
from vae.ui.text import plain

COLUMNS_KEY, LABEL_KEY, MISSING_KEY = "data_upload_columns", "data_upload_label", "data_upload_missing"
# Their labels, help and choices are the settings' (vae/config.py); their options are the table's.
COLUMNS, LABEL, MISSING = (s for s in schema(DataConfig) if s.section == "Upload")


@dataclass(frozen=True)
class Upload:
    """A parsed upload (``table``, or why it could not be read: ``error``) and the roles the user chose."""

    file_id: str  # the uploader's id of the file: a new id replaces this upload
    name: str
    table: Table | None = None
    error: str = ""
    columns: tuple[str, ...] = ()  # the modelled columns
    label: str | None = None  # the label column (colour only)
    missing: MissingValues = "drop"
    moved: str | None = None  # a message when choosing the label removed it from ``columns``
    roles: column_roles.ColumnRoles | None = None  # the proposal: its notes, the columns left out
    built: tuple = field(default=(), compare=False)  # (choices, Dataset): the last build, reused on reruns


def read(uploaded, limit_mb: int) -> Upload:
    """Parse a new upload once and propose its roles; the kept one if it is the same file."""
    kept = state.get_upload()
    if kept is not None and kept.file_id == uploaded.file_id:
        return kept
    upload = Upload(file_id=uploaded.file_id, name=uploaded.name)
    try:
        table = read_table(uploaded.getvalue(), name=uploaded.name, max_bytes=limit_mb * 2**20)
        proposed = table.roles()
        upload = replace(upload, table=table, roles=proposed, columns=proposed.modelled, label=proposed.label)
    except DataError as exc:
        upload = replace(upload, error=str(exc))
    state.set_upload(upload)
    return upload


def _on_label() -> None:
    upload = state.get_upload()
    label = st.session_state[LABEL_KEY]
    columns, moved = column_roles.split_label(upload.columns, label)
    state.set_upload(replace(upload, label=label, columns=columns, moved=moved))


def _on_columns() -> None:
    state.set_upload(replace(state.get_upload(), columns=tuple(st.session_state[COLUMNS_KEY]), moved=None))


def _on_missing() -> None:
    state.set_upload(replace(state.get_upload(), missing=st.session_state[MISSING_KEY]))


def role_pickers(upload: Upload) -> None:
    """The label, the modelled columns and the missing-value choice, set from (and kept in) the session."""
    table = upload.table
    # Widgets forget their value when the page changes: set them from the kept upload each run.
    st.session_state[LABEL_KEY] = upload.label
    st.session_state[COLUMNS_KEY] = list(upload.columns)
    st.session_state[MISSING_KEY] = upload.missing
    c1, c2 = st.columns([3, 2])
    c2.selectbox(
        LABEL.label,
        [None, *table.columns],
        key=LABEL_KEY,
        on_change=_on_label,
        format_func=lambda c: "none" if c is None else str(c),
        help=LABEL.help,
    )
    options = [c for c in table.numeric if c != upload.label]
    c1.multiselect(
        f"{COLUMNS.label} ({len(upload.columns)} of {len(options)} numeric)",
        options,
        key=COLUMNS_KEY,
        on_change=_on_columns,
        help=f"{COLUMNS.help} At most {column_roles.MAX_DEFAULT_COLUMNS} are proposed.",
    )
    if upload.moved:
        st.info(plain(upload.moved))
    for note in upload.roles.notes:
        st.info(plain(note))
    left_out = [(c, why) for c, why in upload.roles.left_out.items() if c != upload.label]
    if left_out:
        st.caption(
            plain("Not modelled by default: " + "; ".join(f"{c!r} ({why})" for c, why in left_out) + ".")
        )
    gaps = table.frame[[c for c in upload.columns if c in table.frame.columns]].isna()
    rows, cells = int(gaps.any(axis=1).sum()), int(gaps.to_numpy().sum())
    if rows:
        st.radio(
            f"{MISSING.label}: {rows:,} row(s) have {cells:,} missing cell(s) in the modelled columns",
            MISSING.choices,
            format_func=MISSING.choice_labels.get,
            key=MISSING_KEY,
            horizontal=True,
            on_change=_on_missing,
            help=MISSING.help,
        )


def build(upload: Upload, scaling: str) -> tuple[Dataset, int | None]:
    """The dataset of the current choices (reused while they do not change); a seed if it is a subsample."""
    choices = (upload.columns, upload.label, upload.missing, scaling)
    if upload.built and upload.built[0] == choices:
        return upload.built[1], None
    options = {
        "label_column": upload.label,
        "scaling": scaling,
        "missing": upload.missing,
        "max_rows": MAX_ROWS,
    }
    try:
        dataset = build_dataset(upload.table, upload.columns, **options)
    except DataError as exc:
        if exc.kind != "too_many_rows":
            raise
        st.warning(plain(str(exc)))
        seed = int(st.number_input("Subsample seed", 0, 2**31 - 1, 0, key="data_subsample_seed"))
        return build_dataset(upload.table, upload.columns, subsample_seed=seed, **options), seed
    state.set_upload(replace(upload, built=(choices, dataset)))
    return dataset, None


def render(scaling: str, limit_mb: int, use: Callable[[Dataset], None]) -> None:
    """The upload tab: the uploader, the kept upload's summary, role pickers, preview and Use button."""
    uploaded = st.file_uploader(
        f"CSV or TSV file (at most {limit_mb} MB, {MAX_ROWS:,} rows)",
        type=["csv", "tsv", "txt"],
        key="data_upload",
    )
    upload = read(uploaded, limit_mb) if uploaded is not None else state.get_upload()
    if upload is None:
        st.caption("Delimiter (comma, semicolon, tab), decimal comma, header row and encoding are detected.")
        return
    if uploaded is None:
        if upload.table is None:
            return  # a refused file is not worth showing again once the uploader has forgotten it
        st.caption(plain(f"{upload.name}: kept in this session. Upload another file to replace it."))
    if upload.error:
        st.error(plain(upload.error) + " The current dataset is unchanged.")
        return
    role_pickers(upload)
    try:
        dataset, subsample = build(state.get_upload(), scaling)
    except DataError as exc:
        st.caption(plain(upload.table.summary()))
        st.error(f"{plain(str(exc))} The current dataset is unchanged.")
        return
    # One calm summary of what reading and choosing did; warnings only for what was lost or guessed.
    st.caption(plain(" ".join([upload.table.summary(), *dataset.notes])))
    for warning in dataset.warnings:
        st.warning(plain(warning))
    preview.show(dataset, "data_upload_preview")
    verb = (
        f"Use a seeded subsample of {dataset.n_rows:,} rows" if subsample is not None else "Use this dataset"
    )
    st.button(verb, type="primary", key="data_use_upload", on_click=use, args=(dataset,))
