"""AppTest of the Compare page: no dataset, a dataset, bad settings, and finished results.

Training itself is not run here (it takes child processes and seconds); the
results test puts a finished comparison with small random weights into the
session, as the page's own pump would after training.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.tables import iris
from tests.weights import random_weights
from vae import compare
from vae.compare import CompareSpec, Comparison, Entry, Variant
from vae.config import DEFAULT_STEPS, DataConfig, ModelConfig, TrainConfig, default_epochs
from vae.core import compare_metrics, losses
from vae.core.decode import decode, encode
from vae.data.presets import generate
from vae.ui import state

PAGE = "pages/compare.py"


@pytest.fixture
def dataset():
    return generate(DataConfig(n_samples=300))


def finished_comparison(dataset) -> Comparison:
    spec = CompareSpec(
        variants=(Variant("ae"), Variant("vae")),
        model=ModelConfig(input_dim=dataset.n_dims),
        train=TrainConfig(epochs=3),
    )
    train_rows, test_rows = compare.holdout_split(dataset.n_rows, spec.holdout, 0)
    entries = {}
    for i, (key, mc) in enumerate(spec.model_configs().items()):
        entry = Entry(
            data_config=dataset.config,
            model_config=mc,
            train_config=spec.train,
            status="finished",
            variant=spec.variants[i],
        )
        entry.history = [{"epoch": e, "loss": 10.0 / e, "recon": 8.0 / e, "seconds": 0.1} for e in (1, 2, 3)]
        entry.weights = random_weights(mc, seed=i)
        entry.metrics = compare_metrics.evaluate(
            entry.weights, mc, dataset.values[test_rows], dataset.standardizer, n_prior=200
        )
        entries[key] = entry
    return Comparison(spec, dataset.config, dataset.n_rows, train_rows, test_rows, entries)


def compare_page(app_test, dataset=None, comparison=None):
    at = app_test("app.py", default_timeout=60)
    if dataset is not None:
        at.session_state[state.DATASET] = dataset
    if comparison is not None:
        at.session_state[state.COMPARE] = comparison
    at.switch_page(PAGE)
    return at.run()


def submit(at):
    next(b for b in at.button if b.label == "Train the ticked models").click()
    return at.run()


def test_without_a_dataset_it_says_so_and_links_to_data(app_test):
    at = compare_page(app_test)
    assert not at.exception
    assert any("no dataset" in info.value.lower() for info in at.info)
    assert not at.checkbox  # no form, nothing to train


def test_with_a_dataset_it_shows_the_form_and_no_results(app_test, dataset):
    at = compare_page(app_test, dataset)
    assert not at.exception
    labels = [c.label for c in at.checkbox]
    assert labels == ["Autoencoder", "Denoising AE", "Sparse AE", "VAE", "β-VAE"]
    assert [c.value for c in at.checkbox] == [True, False, False, True, False]
    assert not at.dataframe  # no metrics before training


def test_nothing_ticked_gives_an_error_and_starts_nothing(app_test, dataset):
    at = compare_page(app_test, dataset)
    at.checkbox(key="ll_cmp_ae").uncheck()
    at.checkbox(key="ll_cmp_vae").uncheck()
    submit(at)
    assert not at.exception
    assert any("Tick at least one" in e.value for e in at.error)
    assert state.COMPARE not in at.session_state


def test_a_batch_larger_than_the_training_rows_is_refused(app_test, dataset):
    at = compare_page(app_test, dataset)
    at.number_input(key="ll_cmp_batch_size").set_value(1000)
    submit(at)
    assert not at.exception
    assert any("batch_size" in e.value for e in at.error)
    assert state.COMPARE not in at.session_state


def test_the_shown_kl_and_elbo_are_the_losses_formulas_on_the_held_out_rows(app_test, dataset):
    comparison = finished_comparison(dataset)
    at = compare_page(app_test, dataset, comparison)
    assert not at.exception
    metrics = at.table[0].value
    shown_kl = float(metrics.loc["Information in the code (KL)", "VAE"].replace("★ best", ""))
    shown_elbo = float(metrics.loc["Likelihood of real data (ELBO)", "VAE"].replace("★ best", ""))
    # The held-out rows (fewer than compare_metrics.MAX_EVAL_ROWS, so all of them), encoded by the VAE.
    x_std = dataset.standardizer.transform(dataset.values[comparison.test_rows]).astype(np.float32)
    weights, sigma = comparison.entries["vae"].weights, comparison.entries["vae"].model_config.decoder_std
    z_mean, z_log_var = encode(weights, x_std)
    assert shown_kl == pytest.approx(float(np.mean(losses.kl_divergence(z_mean, z_log_var))), rel=1e-3)
    eps = np.random.default_rng(1).standard_normal(z_mean.shape).astype(np.float32)  # evaluate: seed 0, + 1
    x_hat = decode(weights, losses.reparameterize(z_mean, z_log_var, eps))
    elbo = float(np.mean(losses.elbo(x_std, x_hat, z_mean, z_log_var, sigma)))
    assert shown_elbo == pytest.approx(elbo, rel=1e-3)


def test_finished_results_show_figures_metrics_and_the_csv(app_test, dataset):
    at = compare_page(app_test, dataset, finished_comparison(dataset))
    assert not at.exception
    tables = [df.value for df in at.dataframe]
    # The scores in plain words: one row per measure, its meaning, one column per model.
    metrics = at.table[0].value
    assert list(metrics.columns) == ["What it tells you", "Autoencoder", "VAE"]
    likelihood = metrics.loc["Likelihood of real data (ELBO)"]
    assert likelihood["Autoencoder"] == "no likelihood: not a probabilistic model"
    assert np.isfinite(float(likelihood["VAE"].replace("★ best", "")))
    exact_row = metrics.loc["Likelihood of real data, exact (log p(x))"]
    assert exact_row["Autoencoder"] == "no likelihood: not a probabilistic model"
    vae_entry = at.session_state[state.COMPARE].entries["vae"]
    assert float(exact_row["VAE"]) == pytest.approx(vae_entry.metrics.exact_log_px, rel=1e-3)
    assert "lower is better" in metrics.loc["Generated vs real (energy distance)", "What it tells you"]
    assert not metrics.isin(["None", "nan", ""]).any().any()
    # One verdict per model, in a sentence.
    verdicts = at.get("markdown")
    said = "\n".join(m.value for m in verdicts)
    assert "**Autoencoder**: " in said and "**VAE**: " in said
    # Each model's decoding of the shared cursor (0, 0), in original units.
    decoded = next(t for t in tables if list(t.columns) == list(dataset.columns))
    assert list(decoded.index) == ["Autoencoder", "VAE"]
    comparison = at.session_state[state.COMPARE]
    for label, entry in zip(decoded.index, comparison.entries.values(), strict=False):
        expected = dataset.standardizer.inverse_transform(
            decode(entry.weights, np.zeros((1, 2), np.float32))
        )[0]
        np.testing.assert_allclose(decoded.loc[label].to_numpy(float), expected, rtol=1e-5, atol=1e-6)
    assert any("energy distance" in c.value.lower() for c in at.caption)


def test_the_budget_is_sized_to_the_data_so_iris_trains_after_its_holdout(app_test, dataset):
    """iris keeps 120 of its 150 rows for training: the default batch of 128 could not train them."""
    at = compare_page(app_test, iris())
    assert not at.exception
    assert at.number_input(key="ll_cmp_batch_size").value == 120  # every training row, one step an epoch
    assert at.number_input(key="ll_cmp_epochs").value == DEFAULT_STEPS  # Train's steps
    submit(at)
    assert not at.exception
    assert not at.error
    comparison = at.session_state[state.COMPARE]
    assert (comparison.spec.train.batch_size, comparison.spec.train.epochs) == (120, DEFAULT_STEPS)
    comparison.stop_all()  # started in the background: this test checks the settings
    # Two moons (1,600 training rows): the default batch, as many steps as Train gives it.
    at.session_state[state.DATASET] = generate(DataConfig())
    at.run()
    assert at.number_input(key="ll_cmp_batch_size").value == 128
    assert at.number_input(key="ll_cmp_epochs").value == default_epochs(1600)
