"""The live view's data: incremental curves (vae/core/curves.py) and the plots' specs (vae/ui/train_views.py)."""

from __future__ import annotations

import json

import numpy as np

from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig
from vae.core.curves import Curves
from vae.core.decimate import MAX_POINTS
from vae.core.decode import encode
from vae.data.presets import generate
from vae.ui import palette, train_views


def history(n: int, start: int = 1) -> list[dict]:
    rng = np.random.default_rng(start)
    return [
        {
            "epoch": e,
            "loss": 5.0 / e**0.3 + rng.random(),
            "recon": 3.0,
            "kl": 2.0 if e % 7 else 0.0,
            "beta": 1.0 if e < 5_000 else 2.0,
            "learning_rate": 1e-3 if e < 30_000 else 3e-4,
        }
        for e in range(start, start + n)
    ]


def test_curves_read_incrementally_equal_the_whole_history():
    records = history(12_345)
    whole, parts = Curves(), Curves()
    whole.update(records)
    growing: list[dict] = []
    for i in range(0, len(records), 1_000):
        growing += records[i : i + 1_000]
        added = parts.update(growing)
        assert added == len(records[i : i + 1_000])
    assert parts.update(growing) == 0  # nothing new, nothing read
    np.testing.assert_array_equal(parts.epochs, whole.epochs)
    np.testing.assert_array_equal(parts.column("loss"), whole.column("loss"))
    assert parts.changes("beta") == whole.changes("beta") == [(5_000, 2.0)]
    assert parts.has("kl") and not parts.has("val_loss")
    # A new run's (shorter) history starts over.
    parts.update(history(3))
    assert parts.n == 3 and parts.changes("beta") == []


def test_loss_spec_stays_bounded_and_marks_setting_changes_and_the_timeline():
    curves = Curves()
    curves.update(history(100_000))
    spec = train_views.loss_spec(curves, log_y=True, total_epochs=None, marker_epoch=4_200)
    assert [p["title"] for p in spec["panels"]] == ["Total loss", "Reconstruction", "KL"]
    total = spec["panels"][0]
    assert total["x"]["range"] == [1, 100_000] and total["y"]["log"]
    assert all(p["x"]["integer"] for p in spec["panels"])  # epochs are counted: plot.js ticks them 1, 2, ...
    line = total["lines"][0]
    assert len(line["x"]) <= MAX_POINTS and line["x"][0] == 1 and line["x"][-1] == 100_000
    assert max(line["y"]) == train_views.rounded(np.array([curves.column("loss").max()]))[0]  # the spike kept
    labels = [m["label"] for m in total["vlines"]]
    assert labels == ["β 2", "lr 0.0003", "epoch 4200"]
    assert len(json.dumps(spec)) < 150_000  # bytes per update stay bounded at any epoch


def test_while_training_the_epoch_axis_grows_by_doubling_up_to_the_budget():
    curves = Curves()
    curves.update(history(300))
    assert train_views.loss_spec(curves, log_y=False, total_epochs=5_000)["panels"][0]["x"]["range"] == [
        1,
        512,
    ]
    assert train_views.loss_spec(curves, log_y=False, total_epochs=400)["panels"][0]["x"]["range"] == [1, 400]
    curves.update(history(300) + history(200, start=301))
    assert train_views.loss_spec(curves, log_y=False, total_epochs=5_000)["panels"][0]["x"]["range"] == [
        1,
        1024,
    ]


def test_rounded_keeps_significant_digits_and_turns_non_finite_into_null():
    out = train_views.rounded(np.array([123456.789, 0.000123456, -2.5, np.nan, np.inf, 0.0]), 4)
    assert out == [123500.0, 0.0001235, -2.5, None, None, 0.0]


def test_latent_spec_encodes_each_label_group_with_the_explore_colours():
    dataset = generate(DataConfig(preset="blobs", n_samples=300, params={"k": 3}, seed=1))
    config = ModelConfig(latent_dim=3)
    weights = random_weights(config, 4)
    view = train_views.ViewData.of(dataset, 3)
    spec = train_views.latent_spec(view, weights, dims=(2, 0), spread=True)
    panel = spec["panels"][0]
    assert panel["title"].endswith("z3 vs z1") and panel["x"]["label"] == "z3" and panel["y"]["label"] == "z1"
    means, log_vars = encode(weights, view.x_std)
    names, index = view.groups
    assert len(panel["points"]) == len(names) == 3
    for k, points in enumerate(panel["points"]):
        assert points["color"] == palette.label_color(k)
        members = np.flatnonzero(index == k)
        np.testing.assert_allclose(points["x"], means[members, 2], rtol=1e-3, atol=1e-6)
        np.testing.assert_allclose(points["y"], means[members, 0], rtol=1e-3, atol=1e-6)
        np.testing.assert_allclose(panel["ellipses"][k]["rx"], np.exp(0.5 * log_vars[members, 2]), rtol=5e-3)
    assert [c["r"] for c in panel["circles"]] == [1, 2]
    assert panel["square"] and panel["x"]["range"][0] == -panel["x"]["range"][1] <= -3
    # Before the first epoch: the prior only.
    empty = train_views.latent_spec(view, None)["panels"][0]
    assert empty["points"] == [] and len(empty["circles"]) == 2


def test_panel_spec_draws_reconstructions_and_prior_samples_in_original_units():
    dataset = generate(DataConfig(n_samples=200))
    weights = random_weights(ModelConfig(), 0)
    view = train_views.ViewData.of(dataset, 2)
    spec = train_views.panel_spec(dataset, view, weights)
    colors = [p["color"] for p in spec["panels"][0]["points"]]
    assert colors == [palette.DATA, palette.RECONSTRUCTION, palette.PRIOR_SAMPLES]
    assert len(spec["panels"][0]["points"][2]["x"]) == train_views.N_SAMPLES
    assert [p["color"] for p in train_views.panel_spec(dataset, view, None)["panels"][0]["points"]] == [
        palette.DATA
    ]
