"""Pause, Resume and Step through ``vae.ui.training`` against a real worker, each called twice in a
row as a click delivered twice calls them (tests/e2e/test_busy_clicks.py shows how that happens):
they act once, and the epoch the page shows always matches the run's history.
"""

from __future__ import annotations

import time

import pytest
import streamlit as st

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import generate
from vae.ui import state, training

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]  # bare-mode warnings

SMALL = ModelConfig(encoder_units=(16,), decoder_units=(16,))
ANSWER_WAIT_S = training.ANSWER_WAIT_S


@pytest.fixture
def session():
    st.session_state.clear()
    yield
    job = state.get_job()
    if job is not None:
        job.stop(timeout=0.2)
    st.session_state.clear()


def settle(seconds: float = 0.6) -> None:
    """Poll like the page's live view for a while."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        training.sync()
        time.sleep(0.1)


def held(run) -> int:
    """The epoch the page shows as paused, after checking that it is where the worker stopped."""
    assert run.status == "paused" and training.paused_confirmed()
    assert training.clock().held_epoch == run.epochs_done == len(run.history)
    return run.epochs_done


def test_each_control_twice_acts_once(session):
    dataset = generate(DataConfig(n_samples=256))
    until_paused = TrainConfig(batch_size=64, until_paused=True)
    assert training.start(dataset, SMALL, until_paused) is None
    run = state.get_run()
    while run.epochs_done < 3:
        training.sync()
        time.sleep(0.05)

    for _ in range(2):  # a second Pause must not leave the page waiting for an answer that never comes
        training.pause()
    settle()
    epoch = held(run)

    for _ in range(3):
        token = training.step_token()  # the page draws the Step button
        training.step(token)
        training.step(token)  # the same click again
        settle()
        assert held(run) == epoch + 1
        epoch += 1

    # A Step whose answer comes after the page was drawn again still lets the next click step.
    training.ANSWER_WAIT_S = 0.0  # the page does not wait for the worker's answer
    try:
        training.step(training.step_token())
        training.step(training.step_token())
    finally:
        training.ANSWER_WAIT_S = ANSWER_WAIT_S
    settle()
    assert held(run) == epoch + 2
    epoch += 2

    for _ in range(2):
        training.resume()
    settle()
    assert run.status == "training" and run.epochs_done > epoch
    training.pause()
    settle()
    held(run)


def test_undo_clicked_once_but_delivered_twice_takes_back_one_stroke(session):
    # Three strokes, as the canvas sends them; Undo's button is drawn with the canvas token of the
    # page run that drew it, and both deliveries of its click carry that same token.
    strokes = [[[0.0, 0.0, 0]], [[0.0, 0.0, 0], [1.0, 1.0, 0]], [[0.0, 0.0, 0], [1.0, 1.0, 0], [2.0, 2.0, 1]]]
    for points in strokes:
        state.set_drawn_points(points)
    drawn_with = state.get_drawn_token()
    state.undo_drawing(drawn_with)
    state.undo_drawing(drawn_with)
    assert state.get_drawn_points() == strokes[1]  # one stroke back, not two
    state.undo_drawing(state.get_drawn_token())  # the next click, drawn after the first Undo's rerun
    assert state.get_drawn_points() == strokes[0]
