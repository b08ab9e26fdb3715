"""Every session-state key the app uses, with its default, in one place.

Widgets lose their state when the user leaves a page, so anything that must
survive a page switch lives in these non-widget keys. Pages read and write
state only through these functions. Nothing here is shared across browser
sessions (no st.cache_resource).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from vae.data import Dataset
from vae.run import Run

DATASET = "ll_dataset"  # vae.data.Dataset | None: what every page uses
RUN = "ll_run"  # vae.run.Run | None: the current model (training or trained)
JOB = "ll_job"  # vae.worker.TrainingJob | None: the live worker, if any
RUNS = "ll_runs"  # list[Run]: this session's earlier runs, newest last


def _get(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)


def get_dataset() -> Dataset | None:
    return _get(DATASET)


def set_dataset(dataset: Dataset) -> None:
    st.session_state[DATASET] = dataset


def get_run() -> Run | None:
    return _get(RUN)


def set_run(run: Run | None) -> None:
    st.session_state[RUN] = run


def get_job():
    return _get(JOB)


def set_job(job) -> None:
    st.session_state[JOB] = job


def past_runs() -> list[Run]:
    return st.session_state.setdefault(RUNS, [])
