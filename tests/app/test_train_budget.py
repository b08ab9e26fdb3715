"""The Train form sizes its budget to the data in optimizer steps and says it in words."""

from __future__ import annotations

import numpy as np
import pytest

from tests.app.test_train_page import wait_for
from tests.tables import iris
from vae.config import DataConfig
from vae.data.presets import generate
from vae.runs.run import still_falling
from vae.ui import state, train_form


def open_train(app_test, dataset):
    at = app_test("app.py", default_timeout=60)
    at.session_state[state.DATASET] = dataset
    at.run()
    return at.switch_page("pages/train.py").run()


def finished(at) -> bool:
    return not at.session_state[state.RUN].is_active


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


@pytest.mark.slow
def test_on_iris_with_a_split_more_epochs_are_offered_only_while_the_held_out_loss_falls(app_test):
    """A user holds out 20% of iris: the long default run memorizes, a short one is undertrained."""
    at = open_train(app_test, iris())
    at.slider(key=train_form.SPLIT_KEY).set_value(0.2).run()
    at.select_slider(key=train_form.BATCH_KEY).set_value(64).run()  # 120 training rows: 128 cannot train
    assert at.number_input(key=train_form.EPOCHS_KEY).value == 900
    at.button(key="tr_start").click().run()
    wait_for(at, finished)
    run = at.session_state[state.RUN]
    assert run.status == "finished" and run.epochs_done == 900
    # The training loss is still falling (memorization); the held-out loss is not: no offer.
    assert still_falling(run.history, "loss") is not None and still_falling(run.history) is None
    assert not at.info and not [b for b in at.button if b.key == "tr_continue_more"]
    assert "Final loss" in at.success[0].value
    assert "held-out (validation) loss is not" in captions(at)

    # A short budget: the held-out loss is still falling, and the page offers to go on.
    at.number_input(key=train_form.EPOCHS_KEY).set_value(40).run()
    at.button(key="tr_start").click().run()
    wait_for(at, finished)
    run = at.session_state[state.RUN]
    assert run.epochs_done == 40 and not at.success
    assert "held-out (validation) loss was still falling" in at.info[0].value
    assert f"now {run.history[-1]['val_loss']:.3f} nats per point" in at.info[0].value
    at.button(key="tr_continue_more").click().run()
    wait_for(at, finished)
    assert at.session_state[state.RUN] is run and run.epochs_done == 80  # the same model, 40 more

    # Without a split the training loss is judged, as before: still falling after 900 epochs.
    at.slider(key=train_form.SPLIT_KEY).set_value(0.0).run()
    at.number_input(key=train_form.EPOCHS_KEY).set_value(900).run()
    at.button(key="tr_start").click().run()
    wait_for(at, finished)
    run = at.session_state[state.RUN]
    assert "val_loss" not in run.history[-1]
    assert "The budget ran out while the loss was still falling" in at.info[0].value
    assert at.button(key="tr_continue_more").label == "Continue for 900 more epochs"
    assert not at.exception
