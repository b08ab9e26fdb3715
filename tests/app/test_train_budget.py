"""The Train form sizes its budget to the data in optimizer steps and says it in words."""

from __future__ import annotations

import numpy as np

from tests.tables import iris
from vae.config import DataConfig
from vae.data.presets import generate
from vae.ui import state, train_form


def open_train(app_test, dataset):
    at = app_test("app.py", default_timeout=60)
    at.session_state[state.DATASET] = dataset
    at.run()
    return at.switch_page("pages/train.py").run()


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_150_rows_get_as_many_steps_as_2000(app_test):
    at = open_train(app_test, iris())
    assert not at.exception
    assert at.number_input(key="tr_epochs").value == 900
    assert "900 epochs on your 150 rows ≈ 900 optimizer steps of 128 rows each" in captions(at)
    # Two moons keeps its quick default.
    at.session_state[state.DATASET] = generate(DataConfig())
    at.run()
    assert at.number_input(key="tr_epochs").value == 60
    assert "60 epochs on your 2,000 rows ≈ 900 optimizer steps" in captions(at)


def test_a_smaller_batch_resizes_the_budget_and_a_typed_number_stays(app_test):
    at = open_train(app_test, iris())
    at.select_slider(key="tr_batch_size").set_value(32).run()
    assert at.number_input(key="tr_epochs").value == 225  # 4 steps an epoch
    at.number_input(key="tr_epochs").set_value(50).run()
    at.select_slider(key="tr_batch_size").set_value(64).run()
    assert at.number_input(key="tr_epochs").value == 50  # the user's own number
    assert "50 epochs on your 150 rows ≈ 100 optimizer steps" in captions(at)
    # A preset hands the budget back to the data.
    at.segmented_control(key=train_form.PRESET_KEY).set_value("Classic").run()
    assert at.number_input(key="tr_epochs").value == 900


def test_the_one_click_default_model_is_sized_to_the_data():
    _, train_config = train_form.default_settings(4, n_rows=150)
    assert train_config.epochs == 900 and train_config.batch_size == 128
    _, moons = train_form.default_settings(2, n_rows=2000)
    assert moons.epochs == 60
    assert np.isclose(train_config.epochs * (150 // 128), moons.epochs * (2000 // 128))
