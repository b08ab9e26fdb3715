"""Every session-state key the app uses, with its default, in one place.

Widgets lose their state when the user leaves a page, so anything that must
survive a page switch lives in these non-widget keys. Pages read and write
state only through these functions. Nothing here is shared across browser
sessions (no st.cache_resource).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import streamlit as st

from vae.data.dataset import Dataset
from vae.data.views import ViewChoice
from vae.runs import session_runs
from vae.runs.run import Run

DATASET = "ll_dataset"  # vae.data.dataset.Dataset | None: what every page uses
RUN = "ll_run"  # vae.runs.run.Run | None: the current model (training or trained)
JOB = "ll_job"  # vae.training.worker.TrainingJob | None: the live worker, if any
RUNS = "ll_runs"  # list[Run]: this session's earlier runs, newest last (bounded: vae.runs.session_runs)
PAST_DATASETS = "ll_past_datasets"  # list[Dataset]: datasets used before the active one, newest last


def get_dataset() -> Dataset | None:
    return st.session_state.get(DATASET)


def set_dataset(dataset: Dataset) -> None:
    """Make ``dataset`` the active one; the one it replaces stays in ``past_datasets()``."""
    session_runs.keep_dataset(past_datasets(), get_dataset(), dataset)
    st.session_state[DATASET] = dataset


def past_datasets() -> list[Dataset]:
    return st.session_state.setdefault(PAST_DATASETS, [])


def get_run() -> Run | None:
    return st.session_state.get(RUN)


def set_run(run: Run | None) -> None:
    """Set the current run, forgetting the one it replaces (``make_current`` keeps it)."""
    st.session_state[RUN] = run


def make_current(run: Run | None) -> None:
    """Make ``run`` (None: none) the current run; the run it replaces joins ``past_runs()``."""
    session_runs.replace_current(past_runs(), get_run(), run)
    st.session_state[RUN] = run


def _slot(key: str, default: Any = None) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    """The getter and the setter of a key whose value needs nothing else (``default`` until set)."""
    return lambda: st.session_state.get(key, default), lambda value: st.session_state.update({key: value})


get_job, set_job = _slot(JOB)


def past_runs() -> list[Run]:
    return st.session_state.setdefault(RUNS, [])


# --- Latent pads (vae/ui/latent_pad) -------------------------------------------------------
PAD_LAYERS = "ll_pad_layers"  # dict[str, bool]: layers the user switched on or off, for every pad


def pad_layers() -> dict[str, bool]:
    """The user's layer choices (only the layers they toggled; the rest keep their default)."""
    return dict(st.session_state.get(PAD_LAYERS) or {})


def set_pad_layers(choices: dict[str, bool]) -> None:
    st.session_state[PAD_LAYERS] = {**pad_layers(), **choices}


# --- Data page (vae/ui/state additions by the Data page) ---------------------
DRAWN_POINTS = "ll_drawn_points"  # list[[x, y, class]]: the Data page's drawing, kept across page switches
DRAWN_UNDO = "ll_drawn_undo"  # list of earlier drawings, newest last (Undo pops one)
DRAWN_CLASS = "ll_drawn_class"  # int: the class (colour) the brush paints
DRAWN_TOKEN = "ll_drawn_token"  # int: bumped when Python replaces the drawing (Clear)
# vae.ui.upload_panel.Upload | None: the last upload, parsed once, with its column choices
UPLOAD = "ll_upload"
# vae.data.views.ViewChoice: how the Data and Train previews show more than 2 columns
PREVIEW_VIEW = "ll_preview_view"


def get_drawn_points() -> list[list[float]]:
    return st.session_state.get(DRAWN_POINTS) or []


def get_drawn_token() -> int:
    return int(st.session_state.get(DRAWN_TOKEN, 0))


MAX_UNDO = 50  # strokes Undo can take back (each a full copy of a drawing of at most 20,000 points)


def set_drawn_points(points: list[list[float]], *, replace_canvas: bool = False) -> None:
    """Keep the drawing (the one before it goes on the undo stack); ``replace_canvas`` also makes
    the canvas show ``points`` (e.g. after Clear)."""
    before = get_drawn_points()
    if list(points) != before:
        undo = st.session_state.setdefault(DRAWN_UNDO, [])
        undo.append(before)
        del undo[:-MAX_UNDO]
    st.session_state[DRAWN_POINTS] = list(points)
    if replace_canvas:
        st.session_state[DRAWN_TOKEN] = get_drawn_token() + 1


def can_undo_drawing() -> bool:
    return bool(st.session_state.get(DRAWN_UNDO))


def undo_drawing(drawn_token: int) -> None:
    """Put back the drawing before the last stroke (or Clear) and show it on the canvas.

    ``drawn_token`` is the canvas token the Undo button was drawn with: a click delivered twice
    (see ``vae.ui.training.step_token``) finds it already changed by the first and does nothing."""
    undo = st.session_state.get(DRAWN_UNDO) or []
    if undo and drawn_token == get_drawn_token():
        st.session_state[DRAWN_POINTS] = undo.pop()
        st.session_state[DRAWN_TOKEN] = get_drawn_token() + 1


def get_drawn_class() -> int:
    return int(st.session_state.get(DRAWN_CLASS, 0))


def set_drawn_class(cls: int) -> None:
    st.session_state[DRAWN_CLASS] = int(cls)


get_upload, set_upload = _slot(UPLOAD)  # the upload stays until another file replaces it
get_preview_view, set_preview_view = _slot(PREVIEW_VIEW, ViewChoice())  # PCA for more than 2 columns


# --- Compare page (vae/ui/state additions by the Compare page) ---------------
COMPARE = "ll_compare"  # vae.ui.compare_view.Comparison | None: models, their jobs and results
COMPARE_CURSOR = "ll_compare_cursor"  # (z1, z2): the latent cursor all Compare pads share
COMPARE_MOVED = "ll_compare_moved"  # str | None: the key of the pad the user just moved


get_comparison, set_comparison = _slot(COMPARE)


def get_compare_cursor() -> tuple[float, float]:
    return tuple(st.session_state.get(COMPARE_CURSOR, (0.0, 0.0)))  # type: ignore[return-value]


def set_compare_cursor(z) -> None:
    st.session_state[COMPARE_CURSOR] = (float(z[0]), float(z[1]))


# -- Train page (vae.ui.training) --------------------------------------------------------------
AUTOSTART = "ll_autostart"  # bool: set by Home / Explore before switch_page("pages/train.py")
TRAIN_CLOCK = "ll_train_clock"  # vae.ui.training.Clock: epoch arrival times for epochs/s and ETA
TRAIN_VIEWS = "ll_train_views"  # vae.ui.train_live.Cache: curves and drawn rows of the current run
# (weakref to a run, text): what the Train page says about that run while it is current
TRAIN_NOTE = "ll_train_note"


def request_autostart() -> None:
    """Ask the Train page to start a default training on its next render."""
    st.session_state[AUTOSTART] = True


def autostart_pending() -> bool:
    """True if a training start was requested and not yet taken (the flag stays)."""
    return bool(st.session_state.get(AUTOSTART, False))


def take_autostart() -> bool:
    """True once if a training start was requested (the flag is consumed)."""
    return bool(st.session_state.pop(AUTOSTART, False))


def note_on_train(run: Run, text: str) -> None:
    """Have the Train page say ``text`` for as long as ``run`` is the current run."""
    st.session_state[TRAIN_NOTE] = (weakref.ref(run), text)


def train_note() -> str | None:
    """The note about the current run (``note_on_train``), if it is still the current one."""
    note, run = st.session_state.get(TRAIN_NOTE), get_run()
    return note[1] if note is not None and run is not None and note[0]() is run else None


# -- Home page ("try it now") ----------------------------------------------------------------
THEN_EXPLORE = "ll_then_explore"  # bool: open Explore when the autostarted training finishes


def request_tour() -> None:
    """Train the default model now, then land on Explore (Home's "try it now")."""
    st.session_state[THEN_EXPLORE] = True
    request_autostart()


def take_then_explore() -> bool:
    """True once if the finished training should hand over to Explore."""
    return bool(st.session_state.pop(THEN_EXPLORE, False))


# -- Saving (vae.ui.leave_guard) ---------------------------------------------------------------
SAVED_RUN = "ll_saved_run"  # (id(run), epochs): the run as last downloaded or restored from a bundle


def mark_saved(run: Run) -> None:
    """Remember that ``run``, as it is now, is safe outside this session (downloaded or restored)."""
    st.session_state[SAVED_RUN] = (id(run), run.epochs_done)


def unsaved_model() -> bool:
    """True when the tab holds a model it would lose: training, or trained since it was last saved."""
    run = get_run()
    saved = run is not None and st.session_state.get(SAVED_RUN) == (id(run), run.epochs_done)
    return run is not None and (run.is_active or (bool(run.history) and not saved))
