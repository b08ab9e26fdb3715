"""AppTest of a model that lives until Reset: Continue, Step after Stop, Train again, New seed.

Each test trains real (tiny) models in the warm worker pool, so they are marked slow.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.app.test_train_page import open_train, stop_job, wait_for
from vae.core.curves import Curves
from vae.ui import train_views

pytestmark = pytest.mark.slow


def finished(at) -> bool:
    return not at.session_state["ll_run"].is_active


def losses(run) -> list[float]:
    return [r["loss"] for r in run.history]


def test_continue_after_finish_and_step_after_stop_extend_the_same_model(app_test):
    at = open_train(app_test)
    at.select_slider(key="tr_batch_size").set_value(64).run()
    at.number_input(key="tr_epochs").set_value(6).run()
    assert at.button(key="tr_continue").disabled  # nothing to continue yet
    at.button(key="tr_start").click().run()
    wait_for(at, finished)
    run = at.session_state["ll_run"]
    assert run.status == "finished" and run.epochs_done == 6 and run.state is not None
    assert run.state.epoch == 6 and run.state.optimizer is not None

    at.button(key="tr_continue").click().run()
    assert not at.exception
    assert at.session_state["ll_run"] is run  # the same model, not a new one
    wait_for(at, finished)
    assert run.status == "finished", run.message
    assert [r["epoch"] for r in run.history] == list(range(1, 13))  # its curves go on
    assert at.session_state.get("ll_runs", []) == []  # nothing archived: no new model

    # Step after a finished run continues it by exactly one epoch.
    at.button(key="tr_step").click().run()
    wait_for(at, lambda a: a.session_state["ll_run"].epochs_done == 13)
    assert at.session_state["ll_run"] is run and run.status == "paused"
    at.button(key="tr_stop").click().run()
    assert run.status == "stopped" and run.state is not None and run.state.epoch == 13
    assert not at.exception


def test_train_again_repeats_the_run_and_new_seed_draws_another(app_test):
    at = open_train(app_test)
    at.select_slider(key="tr_batch_size").set_value(64).run()
    at.number_input(key="tr_epochs").set_value(4).run()
    at.button(key="tr_start").click().run()
    wait_for(at, finished)
    first = at.session_state["ll_run"]
    assert at.button(key="tr_start").label == "Train again"

    at.button(key="tr_start").click().run()
    wait_for(at, finished)
    again = at.session_state["ll_run"]
    assert again is not first and at.session_state["ll_runs"][-1] is first
    np.testing.assert_allclose(losses(again), losses(first), rtol=1e-5)  # same seed, same model

    seed = at.number_input(key="tr_seed").value
    at.button(key="tr_new_seed").click().run()
    assert not at.exception
    wait_for(at, finished)
    fresh = at.session_state["ll_run"]
    assert at.number_input(key="tr_seed").value != seed
    assert fresh.train_config.seed == at.number_input(key="tr_seed").value
    assert fresh is not again and len(fresh.history) == 4
    assert not np.allclose(losses(fresh), losses(first))
    stop_job(at)


def test_learning_rate_changed_while_training_applies_from_the_next_epoch_and_is_marked(app_test):
    at = open_train(app_test)
    at.toggle(key="tr_until_paused").set_value(True).run()
    at.button(key="tr_start").click().run()
    wait_for(at, lambda a: a.session_state["ll_run"].epochs_done >= 3)
    run = at.session_state["ll_run"]
    assert run.target_epoch is None and "until you pause" in at.get("progress")[0].proto.text
    assert not at.select_slider(key="tr_lr").disabled  # the one setting editable while training
    changed_at = run.epochs_done  # epochs already drained into the run: trained with the old rate
    at.select_slider(key="tr_lr").set_value(3e-3).run()
    at.number_input(key="tr_beta").set_value(2.0).run()
    # Epochs already in flight (several tiny ones per compiled call) keep the old rate; then it changes.
    wait_for(at, lambda a: any(r["learning_rate"] == 3e-3 for r in a.session_state["ll_run"].history))
    at.button(key="tr_pause").click().run()
    rates = [r["learning_rate"] for r in run.history]
    betas = [r["beta_setting"] for r in run.history]
    switch = rates.index(3e-3)
    assert switch >= changed_at and set(rates[:switch]) == {1e-3} and set(rates[switch:]) == {3e-3}
    assert betas[-1] == 2.0
    assert run.train_config.learning_rate == 3e-3 and run.model_config.beta == 2.0
    # The loss charts mark both changes.
    curves = Curves()
    curves.update(run.history)
    spec = train_views.loss_spec(curves, log_y=True, total_epochs=None)
    labels = {line["label"] for line in spec["panels"][0]["vlines"]}
    assert {"lr 0.003", "β 2"} <= labels
    stop_job(at)
