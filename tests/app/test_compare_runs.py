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
    assert all(r is not e and r.weights is not e.weights for r, e in zip(archived, entries, strict=True))
    assert [r.metrics for r in archived] == [e.metrics for e in entries]

    at.switch_page("pages/runs.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["run"]) == [1, 2, 3, 4, 5]
    assert set(table["trained in"]) == {"Compare"}
    assert list(table["kind"]) == ["Autoencoder", "Denoising AE", "Sparse AE", "VAE", "VAE"]
    assert list(table["beta"]) == [1.0, 1.0, 1.0, 1.0, 4.0] and set(table["epochs"]) == {EPOCHS}
    curves = [t["name"] for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert curves[1] == "run 2 · Denoising AE · β 1" and curves[4] == "run 5 · VAE · β 4"

    # Explore the denoising autoencoder: it becomes the current run, on the Explore page.
    choose_run(at, "Denoising AE")
    at.button(key="runs_explore").click().run()
    assert not at.exception
    assert at.title[0].value == "Explore the latent plane"
    current = at.session_state[state.RUN]
    assert current is archived[1] and current.model_config.kind == "denoising"
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
        assert sparse is archived[2] and at.session_state[state.RUNS][-1] is archived[1]  # explored one kept
        at.switch_page("pages/train.py")
        wait_for(at, lambda a: not a.session_state[state.RUN].is_active)
        assert sparse.status == "finished", sparse.message
        assert [r["epoch"] for r in sparse.history] == list(range(1, 2 * EPOCHS + 1))
        assert comparison.entries["sparse"].epochs_done == EPOCHS  # the comparison is as it was
        assert len(comparison.scored()) == 5 and not at.exception
    finally:
        stop_job(at)
