"""AppTest: every page's empty state says what is missing and has a button that fixes it."""

from __future__ import annotations

import pytest

from vae.config import DataConfig
from vae.data.presets import generate

NEEDS_DATA = [("pages/train.py", "tr_use_moons"), ("pages/compare.py", "cmp_use_moons")]
NEEDS_MODEL = [
    ("pages/explore.py", "ex_quick_train"),
    ("pages/learn.py", "learn_quick_train"),
    ("pages/runs.py", "runs_quick_train"),
]


def open_page(app_test, page: str, dataset=None):
    at = app_test("app.py")
    if dataset is not None:
        at.session_state["ll_dataset"] = dataset
    return at.switch_page(page).run()


@pytest.mark.parametrize(("page", "key"), NEEDS_DATA)
def test_a_page_without_data_loads_two_moons_in_one_click(app_test, page, key):
    at = open_page(app_test, page)
    assert not at.exception
    assert any("no dataset yet" in info.value for info in at.info)
    button = at.button(key=key)
    assert button.label.startswith("Use two moons") and button.proto.type == "primary"

    button.click().run()
    assert not at.exception
    dataset = at.session_state["ll_dataset"]
    assert dataset.config.preset == "two_moons" and dataset.n_rows == 2000
    assert not any("no dataset yet" in info.value for info in at.info)  # the page moved on


@pytest.mark.parametrize(("page", "key"), NEEDS_MODEL)
@pytest.mark.parametrize("with_data", [False, True], ids=["no-data", "data"])
def test_a_page_without_a_model_trains_the_default_in_one_click(app_test, monkeypatch, page, key, with_data):
    from vae.ui import state

    # Record the request instead of setting the real flag: the Train page would start a worker process.
    requests = []
    monkeypatch.setattr(state, "request_autostart", lambda: requests.append(True))
    circles = generate(DataConfig(preset="circles", n_samples=300)) if with_data else None
    at = open_page(app_test, page, circles)
    assert not at.exception
    button = at.button(key=key)
    assert button.label == "Train a quick default model" and button.proto.type == "primary"

    button.click().run()
    assert not at.exception
    assert requests == [True]
    assert at.title[0].value == "Train a VAE"  # it opened the Train page
    dataset = at.session_state["ll_dataset"]
    # The user's own data is kept; two moons only fills a gap.
    assert dataset.config.preset == ("circles" if with_data else "two_moons")
