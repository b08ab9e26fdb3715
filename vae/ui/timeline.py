"""The epoch timeline on the Train page: replay a run at any stored epoch, or play it back.

A run keeps weight snapshots at a log-spaced set of epochs (``vae.core.snapshots``).
After a run, and while it is paused, a slider picks one of them; the loss
curves mark that epoch and the data panel and the latent view are drawn with
exactly that epoch's weights (the arrays the worker sent, unchanged). Play
steps through every snapshot in about ``PLAY_S`` seconds.
"""

from __future__ import annotations

import bisect
from dataclasses import replace

import streamlit as st

from vae.core.decode import NetworkWeights
from vae.runs.run import Run

EPOCH = "tr_timeline_epoch"  # the slider's value: a stored epoch
PLAYING = "tr_timeline_playing"  # bool: play is running
PLAY_S = 4.0  # the whole training, played back
PLAY_TICK_S = 0.1  # one frame of the playback


def available(run: Run | None) -> bool:
    """A timeline is offered when the run is not training and has two or more snapshots."""
    return run is not None and run.status not in ("starting", "training") and len(run.snapshots) >= 2


def playing() -> bool:
    return bool(st.session_state.get(PLAYING))


def _play(epochs: list[int], on: bool) -> None:
    # ``on`` is bound when the button is drawn: a click delivered twice (see vae.ui.training) does not undo itself.
    if on and st.session_state.get(EPOCH, epochs[-1]) >= epochs[-1]:
        st.session_state[EPOCH] = epochs[0]  # play from the start
    st.session_state[PLAYING] = on


def advance(run: Run | None) -> None:
    """One playback frame: move the slider on (called by the polling fragment on every tick)."""
    if not playing() or not available(run):
        return
    epochs = run.snapshots.epochs()
    step = max(1, round(len(epochs) * PLAY_TICK_S / PLAY_S))
    index = min(bisect.bisect_left(epochs, st.session_state.get(EPOCH, epochs[0])) + step, len(epochs) - 1)
    st.session_state[EPOCH] = epochs[index]
    st.session_state[PLAYING] = index < len(epochs) - 1  # stops at the last epoch


def render(run: Run | None) -> tuple[int, NetworkWeights] | None:
    """The slider and Play button (nothing while the run trains or has fewer than two snapshots);
    returns ``(epoch, weights)`` to replay, or None for the latest."""
    if not available(run):
        st.session_state[PLAYING] = False
        return None
    epochs = run.snapshots.epochs()
    if st.session_state.get(EPOCH) not in epochs:
        st.session_state[EPOCH] = epochs[-1]
    with st.container(key="train_timeline", horizontal=True, vertical_alignment="bottom"):
        st.button(
            "Pause playback" if playing() else "Play",
            key="tr_timeline_play",
            on_click=_play,
            args=(epochs, not playing()),
            help=f"Replay the whole training in about {PLAY_S:g} seconds.",
        )
        epoch = st.select_slider(
            "Epoch timeline",
            options=epochs,
            key=EPOCH,
            help=(
                f"Replay the model as it was at a stored epoch ({len(epochs)} kept: every epoch at first, "
                "sparser later). The data panel and the latent view use that epoch's exact weights."
            ),
        )
    if epoch == epochs[-1] and not playing():
        return None  # the latest: the live view as it is
    return run.snapshots.weights_at(epoch)


PIN = "ll_explore_epoch"  # Explore's pinned epoch (a stored epoch), kept for the session


def pin_control(run: Run) -> None:
    """Explore's "model as it was at epoch N" slider over the run's stored epochs (when there is a
    timeline), and a note when pinned; ``pinned`` applies the choice."""
    epochs = run.snapshots.epochs() if available(run) else []
    if not epochs:
        return
    if st.session_state.get(PIN) not in epochs:
        st.session_state[PIN] = epochs[-1]
    epoch = st.select_slider(
        "Explore the model as it was at epoch",
        options=epochs,
        key=PIN,
        help="Pick an earlier stored epoch to explore the model as it was then; the right end is the latest.",
    )
    if epoch != epochs[-1]:
        st.info(
            f"You are exploring the model **as it was at epoch {epoch}** of {run.epochs_done}, not the "
            "latest weights. Move the slider to the right end to explore the latest.",
        )


def pinned(run: Run) -> Run:
    """The run to explore: a copy with the pinned epoch's weights, or ``run`` itself for the latest."""
    epochs = run.snapshots.epochs() if available(run) else []
    epoch = st.session_state.get(PIN)
    if not epochs or epoch not in epochs or epoch == epochs[-1]:
        return run
    return replace(run, weights=run.snapshots.weights_at(epoch)[1])
