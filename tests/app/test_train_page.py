"""AppTest of the Train page: controls, validation messages, the job lifecycle, faults.

Tests that start a job spawn a real training process (TensorFlow import
included); they use tiny data and few epochs and are marked slow.
"""

from __future__ import annotations

import base64
import json
import math
import os
import signal
import time

import numpy as np
import pytest

from vae.config import DEFAULT_STEPS, DataConfig, default_epochs
from vae.core import decode
from vae.data.presets import generate
from vae.ui import train_charts

PAGE = "pages/train.py"


def open_train(app_test, n_samples: int | None = 256):
    at = app_test("app.py", default_timeout=60)
    if n_samples is not None:
        at.session_state["ll_dataset"] = generate(DataConfig(n_samples=n_samples))
    at.run()
    return at.switch_page(PAGE).run()


def wait_for(at, condition, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        if condition(at):
            return at
        time.sleep(0.3)
    run = at.session_state["ll_run"]
    raise AssertionError(f"timed out: status={run.status} epochs={run.epochs_done}")


def stop_job(at) -> None:
    job = at.session_state["ll_job"] if "ll_job" in at.session_state else None  # noqa: SIM401 (no .get)
    if job is not None:
        job.stop(timeout=0.2)


def test_without_a_dataset_it_offers_two_moons(app_test):
    at = open_train(app_test, n_samples=None)
    assert not at.exception
    assert "no dataset yet" in at.info[0].value
    assert at.button(key="tr_use_moons").label.startswith("Use two moons")
    at.button(key="tr_use_moons").click().run()
    assert not at.exception
    assert at.session_state["ll_dataset"].n_rows == 2000
    assert [b.label for b in at.button][:6] == ["Start", "Pause", "Step", "Continue", "Stop", "Reset"]


def test_controls_start_enabled_and_others_disabled_before_training(app_test):
    at = open_train(app_test)
    assert not at.exception
    assert not at.button(key="tr_start").disabled
    assert at.button(key="tr_pause").disabled and at.button(key="tr_stop").disabled
    assert at.button(key="tr_reset").disabled
    assert not at.error


def test_bad_layer_sizes_are_explained_and_block_start(app_test):
    at = open_train(app_test)
    at.text_input(key="tr_encoder").set_value("64, x").run()
    assert "whole numbers" in at.error[0].value
    assert at.button(key="tr_start").disabled
    at.text_input(key="tr_encoder").set_value("8, 8, 8, 8, 8, 8, 8").run()
    assert "1 to 6 hidden layers" in at.error[0].value
    at.text_input(key="tr_encoder").set_value("64, 32").run()
    assert not at.error and not at.button(key="tr_start").disabled


def test_batch_larger_than_the_data_is_explained_before_training(app_test):
    at = open_train(app_test, n_samples=100)
    at.select_slider(key="tr_batch_size").set_value(512).run()
    assert "batch_size must not exceed the 100 training rows" in at.error[0].value
    assert at.button(key="tr_start").disabled
    assert "ll_run" not in at.session_state or at.session_state["ll_run"] is None


def test_presets_fill_in_the_form(app_test):
    at = open_train(app_test)
    at.button_group(key="tr_preset").set_value("β-VAE (β = 4)").run()
    assert at.number_input(key="tr_beta").value == 4.0
    at.button_group(key="tr_preset").set_value("Fast").run()
    assert at.text_input(key="tr_encoder").value == "32, 16"
    assert at.select_slider(key="tr_lr").value == pytest.approx(1e-2)
    assert at.number_input(key="tr_beta").value == 1.0


def test_settings_survive_a_page_switch(app_test):
    at = open_train(app_test)
    at.text_input(key="tr_decoder").set_value("16").run()
    at.switch_page("pages/home.py").run()
    at.switch_page(PAGE).run()
    assert at.text_input(key="tr_decoder").value == "16"


@pytest.mark.slow
def test_start_twice_starts_one_job_then_stop_and_reset(app_test):
    at = open_train(app_test)
    at.number_input(key="tr_epochs").set_value(100_000).run()
    at.button(key="tr_start").click().run()
    assert not at.exception
    job = at.session_state["ll_job"]
    assert job.is_alive() and at.session_state["ll_run"].status in ("starting", "training")
    assert at.button(key="tr_start").disabled  # the button cannot be pressed again ...
    at.session_state["ll_autostart"] = True  # ... and the glue refuses a second job anyway
    at.run()
    assert at.session_state["ll_job"] is job
    assert "ll_autostart" not in at.session_state
    wait_for(at, lambda a: a.session_state["ll_run"].epochs_done >= 1)
    at.button(key="tr_stop").click().run()
    assert not job.is_alive()  # gone once the click's rerun returns (how fast: the latency benchmark)
    run = at.session_state["ll_run"]
    assert run.status == "stopped" and run.usable
    assert not at.button(key="tr_start").disabled and at.button(key="tr_start").label == "Train again"
    at.button(key="tr_reset").click().run()
    assert at.session_state["ll_run"] is None
    assert at.session_state["ll_runs"][-1] is run  # kept in the session's past runs


@pytest.mark.slow
def test_autostart_trains_with_the_defaults_to_the_end_and_keeps_the_model(app_test):
    at = app_test("app.py", default_timeout=60)
    at.session_state["ll_dataset"] = generate(DataConfig(n_samples=256))
    at.run()
    at.session_state["ll_autostart"] = True  # what Home's and Explore's quick-start buttons set
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "ll_autostart" not in at.session_state  # consumed
    run = at.session_state["ll_run"]
    # The default budget is DEFAULT_STEPS optimizer steps: 256 rows at batch 128 give 2 a epoch.
    epochs = default_epochs(256, run.train_config.batch_size, run.train_config.validation_split)
    assert epochs == math.ceil(DEFAULT_STEPS / 2)
    assert run.model_config.encoder_units == (64, 32) and run.train_config.epochs == epochs
    wait_for(at, lambda a: not a.session_state["ll_run"].is_active)
    run = at.session_state["ll_run"]
    assert run.status == "finished", run.message
    assert [r["epoch"] for r in run.history] == list(range(1, epochs + 1))
    assert run.usable and all(math.isfinite(r["loss"]) for r in run.history)
    # Either a plain success, or the offer to continue when the loss is still falling.
    if at.success:
        assert "Final loss" in at.success[0].value
    else:
        assert "still falling" in at.info[0].value
        assert at.button(key="tr_continue_more").label == f"Continue for {epochs} more epochs"
    at.switch_page("pages/home.py").run()
    assert at.session_state["ll_run"] is run  # the model stays in the session
    assert not at.exception


@pytest.mark.slow
def test_a_killed_worker_is_reported_with_a_restart_button(app_test):
    at = open_train(app_test)
    at.number_input(key="tr_epochs").set_value(100_000).run()
    at.button(key="tr_start").click().run()
    wait_for(at, lambda a: a.session_state["ll_run"].epochs_done >= 1)
    dataset = at.session_state["ll_dataset"]
    os.kill(at.session_state["ll_job"].pid, signal.SIGKILL)
    wait_for(at, lambda a: a.session_state["ll_run"].status == "failed", timeout=60)
    assert "SIGKILL" in at.error[0].value and "untouched" in at.error[0].value
    assert at.session_state["ll_run"].usable  # the last weights it sent are kept
    assert at.session_state["ll_dataset"] is dataset
    at.button(key="tr_restart").click().run()
    assert at.session_state["ll_run"].status == "starting"
    assert at.session_state["ll_job"].is_alive()
    stop_job(at)


def test_progress_label_has_epoch_rate_and_eta():
    fraction, label = train_charts.progress(12, 60, 4.0)
    assert fraction == pytest.approx(0.2)
    assert label == "Epoch 12 / 60 · 4.0 epochs/s · ETA 12 s"
    assert train_charts.progress(0, 60, math.nan)[1] == "Epoch 0 / 60"


def test_live_panel_offers_views_for_more_than_two_columns(app_test):
    from tests.unit.test_columns import wine_csv
    from vae.data.build import build_dataset
    from vae.data.csv_reader import read_table
    from vae.ui import state

    at = app_test("app.py", default_timeout=60)
    at.session_state["ll_dataset"] = build_dataset(read_table(wine_csv()), label_column="class")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    (kind,) = [b for b in at.get("button_group") if b.key == "tr_panel_view_kind"]
    assert kind.value == "pca" and kind.options == ["PCA projection (2-D)", "Two columns", "Scatter matrix"]
    assert any("PCA of the 13 standardized columns" in c.value for c in at.caption)
    view = at.session_state[state.TRAIN_VIEWS].view
    assert view.projection.titles[0].startswith("PC1 (")
    kind.set_value("columns").run()
    at.selectbox(key="tr_panel_view_x").set_value("proline").run()
    view = at.session_state[state.TRAIN_VIEWS].view
    assert view.projection.titles == ("proline", "alcohol")
    np.testing.assert_array_equal(view.projection.apply(view.values)[:, 0], view.values[:, -1])


def test_the_scatter_matrix_on_train_is_a_still_of_the_data_and_the_model_at_one_epoch(app_test):
    from tests.app.test_timeline import open_train as open_with_run
    from tests.unit.test_columns import WINE_COLUMNS, wine_csv
    from tests.weights import random_weights
    from vae.config import ModelConfig, TrainConfig
    from vae.data.build import build_dataset
    from vae.data.csv_reader import read_table
    from vae.runs.run import Run
    from vae.ui import state, timeline

    dataset = build_dataset(read_table(wine_csv()), label_column="class")
    config = ModelConfig(input_dim=13)
    run = Run(dataset.config, config, TrainConfig(epochs=5), status="finished")
    for epoch in range(1, 6):
        run.history.append({"epoch": epoch, "loss": 3.0 / epoch, "recon": 2.0 / epoch, "kl": 1.0})
        run.weights = random_weights(config, seed=epoch)
        run.snapshots.add(epoch, run.weights)
    at = open_with_run(app_test, run, dataset)
    (kind,) = [b for b in at.get("button_group") if b.key == "tr_panel_view_kind"]
    kind.set_value("matrix").run()
    assert not at.exception

    def matrix() -> dict:
        (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith("tr_panel_matrix")]
        return json.loads(chart.proto.spec)

    def values(dimension: dict) -> np.ndarray:  # Plotly sends NumPy arrays as typed base64
        encoded = dimension["values"]
        return np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"])

    def names(spec: dict) -> list[str]:
        return [t["name"] for t in spec["data"] if t["type"] == "splom"]

    spec = matrix()
    assert names(spec) == ["data", "reconstructions", "samples from the prior"]
    assert [d["label"] for d in spec["data"][0]["dimensions"]] == list(WINE_COLUMNS[:6])
    assert at.multiselect(key="tr_panel_view_matrix").value == list(WINE_COLUMNS[:6])
    still = [c.value for c in at.caption if "A still picture" in c.value]
    assert still == [
        "Scatter matrix of 6 of 13 columns (each panel: one pair). A still picture at epoch 5: "
        "the matrix does not move while training (the PCA and two-column views do)."
    ]
    # The model's points: the reconstructions of the drawn rows by the epoch-5 weights.
    view = at.session_state[state.TRAIN_VIEWS].view
    recon = dataset.standardizer.inverse_transform(decode.reconstruct(run.weights, view.x_std))
    np.testing.assert_allclose(values(spec["data"][1]["dimensions"][0]), recon[:, 0], rtol=1e-5)
    # Replaying epoch 2 on the timeline redraws it with that epoch's weights.
    at.select_slider(key=timeline.EPOCH).set_value(2).run()
    assert any("A still picture at epoch 2:" in c.value for c in at.caption)
    earlier = dataset.standardizer.inverse_transform(
        decode.reconstruct(run.snapshots.weights_at(2)[1], view.x_std)
    )
    np.testing.assert_allclose(values(matrix()["data"][1]["dimensions"][0]), earlier[:, 0], rtol=1e-5)
    # Fewer columns in the matrix; the latent view beside it stays live.
    at.multiselect(key="tr_panel_view_matrix").set_value(["alcohol", "proline"]).run()
    assert [d["label"] for d in matrix()["data"][0]["dimensions"]] == ["alcohol", "proline"]
    assert [e for e in at.get("bidi_component") if e.proto.id.endswith("tr_latent_plot")]
    assert not at.exception


@pytest.mark.slow
def test_while_training_the_scatter_matrix_stays_still_until_redrawn(app_test):
    import re

    from tests.unit.test_columns import wine_csv
    from vae.data.build import build_dataset
    from vae.data.csv_reader import read_table

    at = app_test("app.py", default_timeout=60)
    at.session_state["ll_dataset"] = build_dataset(read_table(wine_csv()), label_column="class")
    at.run()
    at.switch_page(PAGE).run()
    (kind,) = [b for b in at.get("button_group") if b.key == "tr_panel_view_kind"]
    kind.set_value("matrix").run()
    assert any("A still picture before training (data only)" in c.value for c in at.caption)
    at.select_slider(key="tr_batch_size").set_value(64).run()
    at.toggle(key="tr_until_paused").set_value(True).run()
    at.button(key="tr_start").click().run()

    def still_epoch(a) -> int | None:
        found = [re.search(r"A still picture at epoch ([\d,]+):", c.value) for c in a.caption]
        return next((int(m.group(1).replace(",", "")) for m in found if m), None)

    try:
        wait_for(at, lambda a: still_epoch(a) is not None)
        drawn = still_epoch(at)
        wait_for(at, lambda a: a.session_state["ll_run"].epochs_done > drawn + 20)
        assert still_epoch(at) == drawn  # still while training
        at.button(key="tr_matrix_redraw").click().run()
        assert still_epoch(at) > drawn + 20
        assert not at.exception
    finally:
        stop_job(at)
