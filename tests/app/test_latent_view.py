"""AppTest of the Train page's latent view for a latent size above 2: it says which dimensions it shows and lets the user pick."""

from __future__ import annotations

from tests.app.test_timeline import finished_run, open_train, plot
from tests.weights import random_weights
from vae.config import DataConfig
from vae.data.presets import generate
from vae.ui import train_live


def test_a_four_dimensional_latent_shows_two_picked_dimensions(app_test):
    dataset = generate(DataConfig(n_samples=200))
    run = finished_run(dataset)
    run.model_config = run.model_config.replace(latent_dim=4)
    run.weights = random_weights(run.model_config, 1)
    run.snapshots = type(run.snapshots)()
    at = open_train(app_test, run, dataset)
    assert not at.exception
    assert any("Showing z1 and z2 of 4 latent dimensions" in c.value for c in at.caption)
    assert plot(at, "tr_latent_plot")["panels"][0]["title"].endswith("z1 vs z2")
    at.selectbox(key=train_live.LATENT_X).set_value(3).run()
    assert not at.exception
    assert plot(at, "tr_latent_plot")["panels"][0]["title"].endswith("z4 vs z2")
    assert any("Showing z4 and z2 of 4" in c.value for c in at.caption)
    # Posterior spread: one ellipse per drawn point, in the picked dimensions.
    at.toggle(key=train_live.SPREAD).set_value(True).run()
    ellipses = plot(at, "tr_latent_plot")["panels"][0]["ellipses"]
    assert sum(len(e["cx"]) for e in ellipses) == 200
