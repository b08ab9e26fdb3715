"""Compare's models join the session's runs: the Runs page lists them, and explores or continues them.

A user trains Compare's five models on two moons, goes to Runs, finds the five labelled as
trained in Compare, makes the denoising autoencoder current and opens Explore, then continues
the sparse autoencoder on the Train page. Real training (the warm pool's processes), few epochs.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from tests.app.test_runs_page import choose_run
from tests.app.test_train_page import stop_job, wait_for
from vae.config import DataConfig
from vae.data.presets import generate
from vae.ui import state

pytestmark = pytest.mark.slow

EPOCHS = 6


def compare_five(at) -> None:
    """On the Compare page: tick every model, a short budget, train, wait for every score."""
    at.switch_page("pages/compare.py").run()
    for key in ("ll_cmp_denoising", "ll_cmp_sparse", "ll_cmp_beta_vae"):
        at.checkbox(key=key).check()
    at.number_input(key="ll_cmp_epochs").set_value(EPOCHS)
    next(b for b in at.button if b.label == "Train the ticked models").click().run()
    assert not at.exception
    deadline = time.monotonic() + 240
    while len(at.session_state[state.COMPARE].scored()) < 5:
        assert time.monotonic() < deadline, [
            e.status for e in at.session_state[state.COMPARE].entries.values()
        ]
        time.sleep(0.3)
        at.run()  # the page's poll: follows the jobs, starts the queued models
    assert not at.exception


def test_compares_models_are_listed_on_runs_and_can_be_explored_and_continued(app_test):
    at = app_test("app.py", default_timeout=60)
    at.session_state[state.DATASET] = generate(DataConfig())  # two moons, as "Use two moons" sets it
    at.run()
    compare_five(at)
    comparison = at.session_state[state.COMPARE]
    archived = list(at.session_state[state.RUNS])
    assert len(archived) == 5 and all(r.origin == "Compare" for r in archived)
    # Copies: what happens to them on the Runs page leaves the comparison as it was.
    entries = list(comparison.entries.values())
    by_kind = {(r.model_config.kind, r.model_config.beta): r for r in archived}
    for entry in entries:
        run = by_kind[entry.model_config.kind, entry.model_config.beta]
        assert run is not entry and run.weights is not entry.weights and run.metrics == entry.metrics

    at.switch_page("pages/runs.py").run()
    assert not at.exception
    assert "No current run: pick one of this session's runs below" in at.info[0].value
    table = at.dataframe[0].value  # in the order the models ended
    assert list(table["run"]) == [1, 2, 3, 4, 5]
    assert set(table["trained in"]) == {"Compare"} and set(table["epochs"]) == {EPOCHS}
    kinds = sorted(zip(table["kind"], table["beta"], strict=True))
    assert kinds == [("Autoencoder", 1), ("Denoising AE", 1), ("Sparse AE", 1), ("VAE", 1), ("VAE", 4)]
    curves = [t["name"] for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    numbers = {kind: n for n, kind, beta in zip(table["run"], table["kind"], table["beta"], strict=True)}
    assert f"run {numbers['Denoising AE']} · Denoising AE · β 1" in curves
    assert sum(" · VAE · β 4" in c for c in curves) == 1

    # Explore the denoising autoencoder: it becomes the current run, on the Explore page.
    choose_run(at, "Denoising AE")
    at.button(key="runs_explore").click().run()
    assert not at.exception
    assert at.title[0].value == "Explore the latent plane"
    current = at.session_state[state.RUN]
    assert current.origin == "Compare" and current.model_config.kind == "denoising"
    np.testing.assert_array_equal(
        current.weights.decoder[0][0], comparison.entries["denoising"].weights.decoder[0][0]
    )
    assert current not in at.session_state[state.RUNS] and len(at.session_state[state.RUNS]) == 4

    # Continue the sparse autoencoder: it trains on, from its own epochs, on the Train page.
    at.switch_page("pages/runs.py").run()
    choose_run(at, "Sparse AE")
    at.button(key="runs_continue").click().run()
    try:
        assert not at.exception
        sparse = at.session_state[state.RUN]
        # From its own epochs: on a quiet machine the click's own rerun may already train on.
        assert sparse.model_config.kind == "sparse" and EPOCHS <= sparse.epochs_done <= 2 * EPOCHS
        assert sparse.history[:EPOCHS] == comparison.entries["sparse"].history
        assert at.session_state[state.RUNS][-1] is current  # the run it replaced is kept
        at.switch_page("pages/train.py")
        wait_for(at, lambda a: not a.session_state[state.RUN].is_active)
        assert sparse.status == "finished", sparse.message
        assert [r["epoch"] for r in sparse.history] == list(range(1, 2 * EPOCHS + 1))
        assert comparison.entries["sparse"].epochs_done == EPOCHS  # the comparison is as it was
        assert len(comparison.scored()) == 5 and not at.exception
    finally:
        stop_job(at)


def test_while_its_models_train_the_form_is_drawn_disabled_and_a_second_press_restarts_nothing(app_test):
    """A user presses Train, then (a slow page, a second click) presses it again: nothing restarts."""
    at = app_test("app.py", default_timeout=60)
    at.session_state[state.DATASET] = generate(DataConfig())
    at.switch_page("pages/compare.py").run()
    at.number_input(key="ll_cmp_epochs").set_value(2000)  # still training when we look
    next(b for b in at.button if b.label == "Train the ticked models").click().run()
    assert not at.exception
    comparison = at.session_state[state.COMPARE]
    try:
        assert comparison.is_active
        # The page was drawn again after the submit: its button is disabled while the models train.
        assert next(b for b in at.button if b.label == "Train the ticked models").disabled
        at.run()  # a poll, as the page's fragment sends: the same comparison, still training
        assert at.session_state[state.COMPARE] is comparison and comparison.is_active
    finally:
        comparison.stop_all()
