"""AppTest of the Learn page, without and with a model in the session.

A model is made without training: build a Keras model in the test process
(tests may import TensorFlow; the app never does) and put its NumPy weights in
a ``vae.runs.run.Run`` in session state, next to a generated dataset.
"""

from __future__ import annotations

import numpy as np
import pytest

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core import losses
from vae.core.decode import decode, encode
from vae.data.presets import generate
from vae.runs.run import Run
from vae.ui import state

LEARN = "pages/learn.py"


@pytest.fixture(scope="module")
def weights():
    from vae.training.models import build_model, get_network_weights

    return get_network_weights(build_model(ModelConfig(), seed=0))


def learn_page(app_test, run=None, dataset=None):
    at = app_test("app.py")
    if run is not None:
        at.session_state[state.RUN] = run
    if dataset is not None:
        at.session_state[state.DATASET] = dataset
    at.switch_page(LEARN)
    return at.run()


def make_run(weights, **model_changes) -> Run:
    return Run(
        DataConfig(),
        ModelConfig(**model_changes),
        TrainConfig(),
        weights=weights,
        status="finished",
        history=[
            {"epoch": 1, "loss": 1.0, "recon": 1.0, "kl": 0.0, "penalty": 0.0, "beta": 1.0, "seconds": 0.1}
        ],
    )


def metric_values(at) -> dict[str, float]:
    return {
        m.label: float(m.value)
        for m in at.metric
        if m.label in ("Reconstruction", "KL", "Loss = recon + β·KL", "ELBO (one sample)")
    }


def test_renders_without_a_model_and_points_to_training(app_test):
    at = learn_page(app_test)
    assert not at.exception
    assert at.title[0].value.startswith("Learn")
    assert any("Train a model to see live numbers" in i.value for i in at.info)
    assert not at.metric  # no live numbers
    assert len(at.latex) >= 8  # the formulas are there anyway
    assert len(at.expander) == 3  # the three mistakes


def test_dataset_without_model_still_explains(app_test):
    at = learn_page(app_test, dataset=generate(DataConfig(n_samples=200)))
    assert not at.exception
    assert any("Train a model" in i.value for i in at.info)


def test_live_numbers_equal_the_library_losses(app_test, weights):
    dataset = generate(DataConfig(n_samples=300))
    at = learn_page(app_test, make_run(weights, beta=2.0), dataset)
    assert not at.exception
    at.number_input(key="learn_row").set_value(17)
    at.number_input(key="learn_seed").set_value(5)
    at.run()
    assert not at.exception
    assert not at.warning  # no deprecation or widget-state warnings either

    x = dataset.standardized()[17:18]
    z_mean, z_log_var = encode(weights, x)
    eps = np.random.default_rng(5).standard_normal(2).astype(np.float32)
    x_hat = decode(weights, losses.reparameterize(z_mean, z_log_var, eps))
    recon = float(losses.reconstruction_loss(x, x_hat, 0.1)[0])
    kl = float(losses.kl_divergence(z_mean, z_log_var)[0])
    elbo = float(losses.elbo(x, x_hat, z_mean, z_log_var, 0.1)[0])

    shown = metric_values(at)
    assert shown["Reconstruction"] == pytest.approx(recon, abs=1e-4)
    assert shown["KL"] == pytest.approx(kl, abs=1e-4)
    assert shown["Loss = recon + β·KL"] == pytest.approx(recon + 2.0 * kl, abs=1e-4)
    assert shown["ELBO (one sample)"] == pytest.approx(elbo, abs=1e-3)
    # The same numbers are plugged into the formulas.
    latex = "\n".join(block.value for block in at.latex)
    assert f"= {recon:.4g}" in latex and f"= {kl:.4g}" in latex


def test_a_new_seed_changes_z_but_not_the_kl(app_test, weights):
    at = learn_page(app_test, make_run(weights), generate(DataConfig(n_samples=300)))
    before = metric_values(at)
    at.number_input(key="learn_seed").set_value(123).run()
    after = metric_values(at)
    assert after["KL"] == before["KL"]
    assert after["Reconstruction"] != before["Reconstruction"]


def test_plain_autoencoder_shows_no_kl(app_test, weights):
    at = learn_page(app_test, make_run(weights, kind="ae"), generate(DataConfig(n_samples=300)))
    assert not at.exception
    assert metric_values(at)["KL"] == 0.0
    assert any("has no sampling and no KL term" in m.value for m in at.markdown)


def test_gap_section_shows_the_exact_numbers_of_the_chosen_point(app_test, weights):
    from vae.core import exact

    dataset = generate(DataConfig(n_samples=300))
    at = learn_page(app_test, make_run(weights), dataset)
    at.number_input(key="learn_row").set_value(42).run()
    assert not at.exception
    truth = exact.point_truth(weights, dataset.standardized()[42], 0.1)
    shown = {m.label: float(m.value) for m in at.metric}
    assert shown["log p(x), exact"] == pytest.approx(truth.log_px, abs=1e-4)
    assert shown["ELBO"] == pytest.approx(truth.elbo, abs=1e-4)
    assert shown["IWAE, K = 64"] == pytest.approx(truth.iwae, abs=1e-4)
    assert shown["Gap = KL(q ‖ p(z|x))"] == pytest.approx(truth.log_px - truth.elbo, abs=2e-4)
    assert shown["ELBO"] <= shown["log p(x), exact"]
    text = "\n".join(m.value for m in at.markdown)
    assert "Row 42: A gap of" in text and "true posterior" in text


def test_gap_section_says_what_a_model_without_likelihood_or_a_wider_latent_lacks(app_test, weights):
    from vae.training.models import build_model, get_network_weights

    dataset = generate(DataConfig(n_samples=200))
    at = learn_page(app_test, make_run(weights, kind="ae"), dataset)
    assert not at.exception
    assert any("defines no likelihood" in i.value for i in at.info)
    assert "log p(x), exact" not in [m.label for m in at.metric]

    wide = get_network_weights(build_model(ModelConfig(latent_dim=3), seed=0))
    at = learn_page(app_test, make_run(wide, latent_dim=3), dataset)
    assert not at.exception
    assert any("needs latent_dim = 2" in i.value and "IWAE" in i.value for i in at.info)
    labels = [m.label for m in at.metric]
    assert "IWAE bound, K = 64" in labels and "log p(x), exact" not in labels
