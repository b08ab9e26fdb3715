"""A model whose input columns differ from the current dataset, on every page.

The user trains on two moons (2 columns), then picks a 4-column table: every
page and the sidebar must say what happened (no exception, no traceback) and
offer one click that trains a model on the current data.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.app.test_compare_page import finished_comparison
from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.dataset import make_dataset
from vae.data.presets import generate
from vae.runs.run import Run
from vae.ui import state

PAGES = [
    "pages/home.py",
    "pages/data.py",
    "pages/train.py",
    "pages/explore.py",
    "pages/compare.py",
    "pages/learn.py",
    "pages/runs.py",
]
# The one-click button each page offers (Data has no model view; the sidebar offers it there).
RETRAIN_KEYS = {
    "pages/home.py": "home_retrain",
    "pages/train.py": "tr_retrain",
    "pages/explore.py": "ex_retrain",
    "pages/learn.py": "learn_retrain",
    "pages/runs.py": "runs_retrain",
}


def moons_run(status: str = "finished") -> Run:
    moons = generate(DataConfig(n_samples=200))
    config = ModelConfig(input_dim=2)
    history = [
        {
            "epoch": e,
            "loss": 3.0 / e,
            "recon": 1.0,
            "kl": 2.0 / e,
            "beta": 1.0,
            "penalty": 0.0,
            "seconds": 0.01,
        }
        for e in (1, 2, 3)
    ]
    return Run(
        data_config=moons.config,
        model_config=config,
        train_config=TrainConfig(epochs=3),
        history=history,
        weights=random_weights(config),
        status=status,  # type: ignore[arg-type]
    )


def four_columns():
    """An iris-like 4-column table with a file name that is also Markdown."""
    rng = np.random.default_rng(0)
    values = rng.normal([5.8, 3.0, 3.8, 1.2], [0.8, 0.4, 1.8, 0.8], size=(150, 4))
    config = DataConfig(source="upload", preset="upload", n_samples=150, noise=0.0, name="**four**.csv")
    return make_dataset(values, ("sepal length", "sepal width", "petal length", "petal width"), config)


def open_page(app_test, page: str, run: Run | None = None, comparison=None):
    at = app_test("app.py", default_timeout=60)
    dataset = four_columns()
    at.session_state[state.DATASET] = dataset
    at.session_state[state.RUN] = run if run is not None else moons_run()
    if comparison is not None:
        at.session_state[state.COMPARE] = comparison
    at.run()
    return at.switch_page(page).run()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_what_happened_and_offers_one_click(app_test, page):
    at = open_page(app_test, page)
    assert not at.exception, [e.value for e in at.exception]
    # The sidebar says it on every page, with its own button.
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "trained on 2 columns" in sidebar and "has 4" in sidebar
    assert at.sidebar.button(key="ll_sidebar_retrain").label == "Train on this dataset"
    assert not any("Explore the latent plane" in link.label for link in at.sidebar.get("page_link"))
    if page in RETRAIN_KEYS:
        said = " ".join(w.value for w in at.warning) + " ".join(c.value for c in at.caption)
        assert "trained on 2 columns" in said and "\\*\\*four\\*\\*.csv" in said  # the name as text
        button = at.button(key=RETRAIN_KEYS[page])
        assert button.proto.type == "primary" and "Train" in button.label


def test_an_active_run_of_another_width_does_not_break_the_train_page(app_test):
    at = open_page(app_test, "pages/train.py", run=moons_run(status="paused"))
    assert not at.exception
    assert "trained on 2 columns" in at.warning[0].value
    assert not at.button(key="tr_retrain").disabled


def test_compare_with_models_of_another_width_offers_to_train_them_here(app_test):
    comparison = finished_comparison(generate(DataConfig(n_samples=300)))
    at = open_page(app_test, "pages/compare.py", comparison=comparison)
    assert not at.exception
    assert any("dataset changed" in w.value for w in at.warning)
    submit = next(b for b in at.button if b.label == "Train the ticked models")
    assert not submit.disabled
    assert not at.get("plotly_chart")  # nothing drawn from models that cannot read these columns


def test_the_click_asks_the_train_page_to_train_on_the_current_data(app_test, monkeypatch):
    # (AppTest reruns a clicked page without app.py, so the sidebar's copy of this button is
    # checked for presence above; it calls the same function.)
    requests = []
    monkeypatch.setattr(state, "request_autostart", lambda: requests.append(True))
    at = open_page(app_test, "pages/learn.py")
    at.button(key="learn_retrain").click().run()
    assert not at.exception
    assert requests == [True]
    assert at.title[0].value == "Train a VAE"  # it opened the Train page


@pytest.mark.slow
def test_explore_one_click_trains_a_model_that_reads_the_new_columns(app_test):
    at = open_page(app_test, "pages/explore.py")
    at.button(key="ex_retrain").click().run()
    assert not at.exception
    at.switch_page("pages/train.py")  # where the click went (AppTest stays on the page it was told)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            run = at.session_state[state.RUN]
            if run.model_config.input_dim == 4 and run.epochs_done >= 1:
                break
            time.sleep(0.3)
            at.run()
        assert run.model_config.input_dim == 4 and run.epochs_done >= 1
        assert not at.exception
        assert at.session_state[state.RUNS][-1].model_config.input_dim == 2  # the old model is kept
        assert not any("trained on 2 columns" in w.value for w in at.warning)
    finally:
        job = at.session_state[state.JOB]
        if job is not None:
            job.stop(timeout=0.2)
