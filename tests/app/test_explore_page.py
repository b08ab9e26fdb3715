"""AppTest of the Explore page: the prompt without a model, readouts with one, refusal of NaN weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.closeness import assert_same_decoding
from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core import losses
from vae.core.decode import decode, encode
from vae.data.presets import generate
from vae.runs.run import Run

EXPLORE = "pages/explore.py"


@pytest.fixture
def trained_session():
    data_config = DataConfig(n_samples=400)
    dataset = generate(data_config)
    model_config = ModelConfig(input_dim=2)
    run = Run(
        data_config=dataset.config,
        model_config=model_config,
        train_config=TrainConfig(epochs=5),
        history=[{"epoch": 5, "loss": 3.0, "recon": 1.0, "kl": 2.0}],
        weights=random_weights(model_config),
        status="finished",
    )
    return dataset, run


def open_explore(app_test, dataset=None, run=None):
    at = app_test("app.py")
    if dataset is not None:
        at.session_state["ll_dataset"] = dataset
    if run is not None:
        at.session_state["ll_run"] = run
    return at.switch_page(EXPLORE).run()


def open_with_a_clicked_row(app_test, dataset, run, row: int):
    """Explore as after a click on data point ``row`` on the pad."""
    at = app_test("app.py")
    at.session_state["ll_dataset"] = dataset
    at.session_state["ll_run"] = run
    at.session_state["ll_explore_pad"] = {"z": [0.0, 0.0], "selected": row, "path": None, "layers": None}
    return at.switch_page(EXPLORE).run()


def test_without_a_model_it_prompts_to_train(app_test):
    at = open_explore(app_test)
    assert not at.exception
    assert "no trained model yet" in at.info[0].value
    assert [b.label for b in at.button] == ["Train a quick default model"]
    assert not at.error


def test_quick_train_sets_the_default_dataset_and_asks_the_train_page_to_start(app_test, monkeypatch):
    from vae.ui import state

    # Record the request instead of setting the real flag: the Train page would start a worker process.
    requests = []
    monkeypatch.setattr(state, "request_autostart", lambda: requests.append(True))
    at = open_explore(app_test)
    at.button[0].click().run()
    assert not at.exception
    assert requests == [True]
    assert "Train a quick default model" not in [b.label for b in at.button]  # we left Explore
    dataset = at.session_state["ll_dataset"]
    assert dataset.config.preset == "two_moons" and dataset.n_dims == 2


def test_with_a_model_it_shows_an_exact_readout(app_test, trained_session):
    dataset, run = trained_session
    at = open_explore(app_test, dataset, run)
    assert not at.exception
    assert not at.error
    assert any("**Readout**" in m.value for m in at.markdown)
    exact = json.loads(at.code[0].value)
    assert exact["z"] == [0.0, 0.0] and not exact["clamped"]
    expected = dataset.standardizer.inverse_transform(decode(run.weights, np.zeros((1, 2), np.float32)))[0]
    assert_same_decoding(exact["x"], expected, dataset.standardizer.scale, atol=1e-6)
    assert exact["prior_density"] == pytest.approx(1 / (2 * np.pi))
    # The table shows every decoded value with the same decimals, 4 significant digits on the largest.
    number = json.loads(at.dataframe[0].proto.columns)["decoded x (original units)"]["type_config"]["format"]
    shown = [number % value for value in exact["x"]]
    assert len({len(s.partition(".")[2]) for s in shown}) == 1, shown
    assert max(len(s.lstrip("-").replace(".", "").lstrip("0")) for s in shown) == 4, shown
    # Nothing the NaN guard or the no-model prompt would show.
    assert not at.info


def test_sample_from_the_prior_stores_decoded_samples(app_test, trained_session):
    dataset, run = trained_session
    at = open_explore(app_test, dataset, run)
    next(b for b in at.button if "Sample from the prior" in b.label).click().run()
    assert not at.exception
    z, x = at.session_state["ll_explore_samples"]
    assert z.shape == (200, 2) and x.shape == (200, 2)
    expected = dataset.standardizer.inverse_transform(decode(run.weights, z))
    assert_same_decoding(x, expected, dataset.standardizer.scale)


def test_a_model_with_nan_weights_is_refused_with_the_reason(app_test, trained_session):
    dataset, run = trained_session
    run.weights.x_mean[0][0, 0] = np.nan
    run.status, run.message = "diverged", "The loss became NaN at epoch 4."
    at = open_explore(app_test, dataset, run)
    assert not at.exception
    assert "not finite" in at.error[0].value and "epoch 4" in at.error[0].value
    assert not at.code  # no readout


def test_a_clicked_point_shows_its_exact_log_likelihood_and_gap(app_test, trained_session):
    from vae.core import exact

    dataset, run = trained_session
    at = open_with_a_clicked_row(app_test, dataset, run, 17)
    assert not at.exception
    truth = exact.point_truth(run.weights, dataset.standardized()[17], run.model_config.decoder_std)
    shown = {m.label: m.value for m in at.metric}
    shown = {
        label: float(shown[label])
        for label in ("log p(x), exact", "ELBO", "IWAE, K = 64", "Gap = KL(q ‖ p(z|x))")
    }
    assert shown["log p(x), exact"] == pytest.approx(truth.log_px, abs=1e-3)
    assert shown["ELBO"] == pytest.approx(truth.elbo, abs=1e-3)
    assert shown["IWAE, K = 64"] == pytest.approx(truth.iwae, abs=1e-3)
    assert shown["Gap = KL(q ‖ p(z|x))"] == pytest.approx(truth.gap, abs=2e-3)
    assert any("**Data point #17**" in m.value for m in at.markdown)
    assert any("true posterior" in m.value for m in at.markdown)


def test_a_clicked_point_shows_its_posterior_from_the_losses_formulas(app_test, trained_session):
    dataset, run = trained_session
    at = open_with_a_clicked_row(app_test, dataset, run, 30)
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    z_mean, z_log_var = encode(run.weights, dataset.standardized()[30:31])
    mu = [float(v) for v in shown["μ"].split(",")]
    sigma = [float(v) for v in shown["σ"].split(",")]
    np.testing.assert_allclose(mu, z_mean[0], atol=1e-3)
    np.testing.assert_allclose(sigma, losses.posterior_std(z_log_var[0]), atol=1e-3)
    kl = float(shown["KL(q ‖ prior)"].removesuffix(" nats"))
    assert kl == pytest.approx(float(losses.kl_divergence(z_mean, z_log_var)[0]), abs=1e-3)
    # Its x and reconstruction side by side, with the same decimals, so digits line up to compare.
    table = next(d for d in at.dataframe if "reconstruction" in d.value.columns)
    formats = json.loads(table.proto.columns)
    assert formats["x"]["type_config"]["format"] == formats["reconstruction"]["type_config"]["format"]
    np.testing.assert_allclose(table.value["x"], dataset.values[30])
