"""vae.runs.run: the one place a training job's messages become a run's status and history."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.tables import iris
from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.runs.run import END_STATUS, FAILED_MESSAGE, Run, TrainState, judged_loss, still_falling


def new_run(**changes) -> Run:
    return Run(DataConfig(), ModelConfig(), TrainConfig(epochs=5), **changes)


def epoch(n: int, weights=None, snapshot: bool = False, loss: float | None = None) -> dict:
    record = {"epoch": n, "loss": 3.0 / n if loss is None else loss, "seconds": 0.5}
    return {"type": "epoch", "record": record, "weights": weights, "snapshot": snapshot}


def test_a_run_follows_a_job_from_start_to_finish():
    model = ModelConfig()
    first, last = random_weights(model, 1), random_weights(model, 2)
    state = TrainState(last, None, 3)
    run = new_run()
    assert run.status == "starting" and run.is_active and run.epochs_done == 0 and math.isnan(run.last_loss)
    messages = [
        {"type": "ready", "n_train": 100, "n_val": 0},
        epoch(1, first, snapshot=True),
        epoch(2),  # weights are not sent every epoch
        epoch(3, last, snapshot=True),
        {"type": "state", "state": state},
        {"type": "done", "reason": "completed", "message": ""},
    ]
    for message in messages:
        run.apply(message)
    assert run.status == "finished" and not run.is_active and run.message == ""
    assert [r["epoch"] for r in run.history] == [1, 2, 3] and run.epochs_done == 3
    assert run.last_loss == pytest.approx(1.0) and run.train_seconds == pytest.approx(1.5)
    assert run.weights is last and run.usable
    assert run.snapshots.epochs() == [1, 3] and run.snapshots.weights_at(1)[1] is first
    assert run.state is state and run.can_continue and run.resume_state() is state


def test_a_job_started_paused_shows_paused_and_ready_clears_the_saved_state():
    run = new_run(status="starting", state=TrainState(random_weights(ModelConfig()), None, 4))
    run.apply({"type": "ready"}, paused=True)
    assert run.status == "paused" and run.state is None  # the job runs on from it now
    run.apply({"type": "paused", "epoch": 4, "at": 0.0})  # the clock's concern, not the run's
    assert run.status == "paused"
    run.apply(epoch(5))  # a Step: still paused
    assert run.status == "paused" and run.epochs_done == 5


def test_the_first_epoch_moves_a_queued_or_starting_run_to_training():
    for status in ("queued", "starting"):
        run = new_run(status=status)
        run.apply(epoch(1))
        assert run.status == "training"


@pytest.mark.parametrize(("reason", "status"), sorted(END_STATUS.items()))
def test_every_end_reason_maps_to_one_status_and_keeps_the_message(reason, status):
    run = new_run(status="training")
    run.apply({"type": "done", "reason": reason, "message": "why"})
    assert (run.status, run.message) == (status, "why")
    assert not run.is_active


def test_an_unknown_end_reason_counts_as_stopped_and_an_error_fails_the_run():
    run = new_run(status="training")
    run.end("something new")
    assert run.status == "stopped"
    failed = new_run(status="training", weights=random_weights(ModelConfig()))
    failed.apply({"type": "error", "message": "boom"})
    assert (failed.status, failed.message) == ("failed", "boom")
    assert failed.usable  # the last weights stay explorable
    silent = new_run(status="training")
    silent.apply({"type": "error"})
    assert silent.message == FAILED_MESSAGE


def test_mark_stopped_changes_only_an_active_run():
    queued = new_run(status="queued")
    queued.mark_stopped("Not started.")
    assert (queued.status, queued.message) == ("stopped", "Not started.")
    finished = new_run(status="finished", message="")
    finished.mark_stopped("Stopped by you.")
    assert (finished.status, finished.message) == ("finished", "")


def test_the_cli_path_ends_a_run_from_the_engines_stop_reason():
    weights = random_weights(ModelConfig())
    history = [{"epoch": e, "loss": 1.0, "seconds": 0.1} for e in (1, 2)]
    run = Run(DataConfig(), ModelConfig(), TrainConfig(epochs=2), history=history, weights=weights)
    run.end("nan", "The loss became NaN at epoch 3; the weights of epoch 2 are kept.")
    assert run.status == "diverged" and run.usable and "NaN" in run.message
    assert np.array_equal(run.weights.arrays()[0], weights.arrays()[0])


# --- is the loss still falling? ---------------------------------------------------------------------
def _history(loss: list[float], val_loss: list[float] | None = None) -> list[dict]:
    return [
        {"epoch": i + 1, "loss": v, **({} if val_loss is None else {"val_loss": val_loss[i]})}
        for i, v in enumerate(loss)
    ]


def test_without_a_split_the_training_loss_is_judged_with_a_split_the_held_out_loss():
    falling = [100.0 / (1 + e) for e in range(40)]
    flat = [5.0] * 40
    assert judged_loss(_history(falling)) == "loss"
    assert judged_loss(_history(falling, flat)) == "val_loss"
    ends = still_falling(_history(falling))
    assert ends is not None and ends.measure == "loss" and not ends.held_out and ends.last == falling[-1]
    assert still_falling(_history(falling, flat)) is None  # the held-out loss has stopped
    assert still_falling(_history(falling, flat), "loss") == ends  # the training loss, when asked
    ends = still_falling(_history(flat, falling))
    assert (
        ends is not None
        and ends.held_out
        and ends.drop == pytest.approx(still_falling(_history(falling)).drop)
    )


def test_a_held_out_loss_that_has_turned_up_at_the_end_is_not_still_falling():
    # Falls steadily for 30 epochs, then rises: the last quarter's mean is still lower than the
    # one before, but its last eighth is higher than the eighth before.
    val = [50.0 - e for e in range(30)] + [21.0 + 0.5 * e for e in range(10)]
    history = _history([50.0 - e for e in range(40)], val)
    quarter = sum(val[-10:]) / 10 < sum(val[-20:-10]) / 10
    assert quarter and still_falling(history) is None
    assert still_falling(history, "loss") is not None  # the training loss may keep falling


def _trained(x: np.ndarray, train_config: TrainConfig) -> list[dict]:
    """The history of a real training run, as the app's worker trains it."""
    from vae.training.engine import Trainer
    from vae.training.fit import split_data

    x_train, x_val = split_data(x, train_config)
    trainer = Trainer(x_train, ModelConfig(input_dim=x.shape[1]), train_config, x_val)
    while not trainer.done:
        trainer.run()
    return trainer.history


@pytest.mark.slow
def test_on_iris_a_long_run_memorizes_and_only_the_held_out_loss_says_so():
    """iris (150 rows): the training loss falls forever (memorization), the held-out loss does not.

    Measured (20% held out, batch 120, 900 epochs): training loss 9.6 and still 10% lower over the
    last quarter; the held-out loss was lowest (15.8) at epoch 248 and ends at 18.0.
    """
    x = iris().standardized()
    split = TrainConfig(epochs=900, batch_size=120, validation_split=0.2)
    long = _trained(x, split)
    assert still_falling(long) is None
    memorizing = still_falling(long, "loss")
    assert memorizing is not None and memorizing.drop > 0.05
    assert long[-1]["val_loss"] > min(r["val_loss"] for r in long)
    # Early on, both fall: the held-out loss is judged and says so.
    short = _trained(x, split.replace(epochs=100))
    falling = still_falling(short)
    assert falling is not None and falling.held_out and falling.last == short[-1]["val_loss"]
    # Without a split the training loss is all there is, judged as before.
    whole = _trained(x, TrainConfig(epochs=900, batch_size=128))
    falling = still_falling(whole)
    assert falling is not None and falling.measure == "loss" and falling.last == whole[-1]["loss"]
