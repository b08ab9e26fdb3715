"""AppTest of the Train page's epoch timeline: the slider replays a stored epoch's exact weights."""

from __future__ import annotations

import json

import numpy as np

from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core.decode import encode
from vae.data.presets import generate
from vae.runs.run import Run
from vae.ui import state, timeline, train_views

EPOCHS = 30


def finished_run(dataset) -> Run:
    config = ModelConfig()
    run = Run(
        data_config=dataset.config,
        model_config=config,
        train_config=TrainConfig(epochs=EPOCHS),
        status="finished",
    )
    for epoch in range(1, EPOCHS + 1):
        run.history.append({"epoch": epoch, "loss": 3.0 / epoch, "recon": 2.0 / epoch, "kl": 1.0})
        run.weights = random_weights(config, seed=epoch)  # each epoch's weights differ
        run.snapshots.add(epoch, run.weights)
    return run


def open_train(app_test, run: Run | None, dataset):
    at = app_test("app.py", default_timeout=60)
    at.session_state[state.DATASET] = dataset
    if run is not None:
        at.session_state[state.RUN] = run
    at.run()
    return at.switch_page("pages/train.py").run()


def plot(at, key: str) -> dict:
    (element,) = [e for e in at.get("bidi_component") if e.proto.id.endswith(key)]
    return json.loads(element.proto.json)


def latent_xs(spec: dict) -> np.ndarray:
    return np.concatenate([np.asarray(p["x"], float) for p in spec["panels"][0]["points"]])


def test_the_slider_replays_the_latent_view_at_the_chosen_epoch(app_test):
    dataset = generate(DataConfig(n_samples=200))
    run = finished_run(dataset)
    at = open_train(app_test, run, dataset)
    assert not at.exception
    slider = at.select_slider(key=timeline.EPOCH)
    assert [int(o) for o in slider.options] == run.snapshots.epochs() and int(slider.value) == EPOCHS
    latest = plot(at, "tr_latent_plot")
    assert all("epoch" not in (v.get("label") or "") for v in plot(at, "tr_loss_plot")["panels"][0]["vlines"])

    slider.set_value(7).run()
    assert not at.exception
    replayed = plot(at, "tr_latent_plot")
    view = train_views.ViewData.of(dataset, 2)
    means, _ = encode(run.snapshots.weights_at(7)[1], view.x_std)
    # Exactly epoch 7's weights: the codes drawn are epoch 7's E[z|x] (to the 4 digits sent).
    np.testing.assert_allclose(np.sort(latent_xs(replayed)), np.sort(means[:, 0]), rtol=1e-3, atol=1e-6)
    assert not np.allclose(np.sort(latent_xs(replayed)), np.sort(latent_xs(latest)))
    labels = [v.get("label") for v in plot(at, "tr_loss_plot")["panels"][0]["vlines"]]
    assert "epoch 7" in labels
    # What must not happen: the run itself moves back.
    assert at.session_state[state.RUN].weights is run.weights and run.epochs_done == EPOCHS


def test_play_steps_through_every_snapshot_and_stops_at_the_end(app_test):
    dataset = generate(DataConfig(n_samples=200))
    at = open_train(app_test, finished_run(dataset), dataset)
    at.button(key="tr_timeline_play").click().run()
    assert at.session_state[timeline.PLAYING]
    seen = [int(at.select_slider(key=timeline.EPOCH).value)]
    for _ in range(60):
        if not at.session_state[timeline.PLAYING]:
            break
        at.run()  # one tick of the playback clock
        seen.append(int(at.select_slider(key=timeline.EPOCH).value))
    assert not at.session_state[timeline.PLAYING] and seen[-1] == EPOCHS
    assert seen[0] <= 2 and seen == sorted(seen) and len(set(seen)) >= 10  # it moved through the run
    assert not at.exception


def test_no_timeline_before_a_run_or_with_one_snapshot(app_test):
    dataset = generate(DataConfig(n_samples=200))
    at = open_train(app_test, None, dataset)
    assert not at.exception
    assert all(s.key != timeline.EPOCH for s in at.select_slider)
    run = finished_run(dataset)
    run.snapshots = type(run.snapshots)()
    run.snapshots.add(1, run.weights)
    at = open_train(app_test, run, dataset)
    assert all(s.key != timeline.EPOCH for s in at.select_slider)


def test_explore_can_pin_an_earlier_epoch_and_says_so(app_test):
    dataset = generate(DataConfig(n_samples=200))
    run = finished_run(dataset)
    at = app_test("app.py", default_timeout=60)
    at.session_state[state.DATASET] = dataset
    at.session_state[state.RUN] = run
    at.run()
    at = at.switch_page("pages/explore.py").run()
    assert not at.exception and not at.info
    pad = lambda: json.loads(next(e for e in at.get("bidi_component") if "explore" in e.proto.id).proto.json)
    latest = pad()["decoder"]["layers"][0]["W"]
    np.testing.assert_allclose(latest, run.weights.decoder[0][0], rtol=1e-6)

    at.select_slider(key=timeline.PIN).set_value(5).run()
    assert not at.exception
    assert "as it was at epoch 5** of 30" in at.info[0].value
    np.testing.assert_allclose(
        pad()["decoder"]["layers"][0]["W"], run.snapshots.weights_at(5)[1].decoder[0][0], rtol=1e-6
    )
    assert at.session_state[state.RUN].weights is run.weights  # pinning never changes the run

    at.select_slider(key=timeline.PIN).set_value(EPOCHS).run()
    assert not at.info
