"""vae.compare: variants, the spec, the held-out split, each model's run; real training (slow).

The last tests train real models with ``vae.training.fit.fit`` (TensorFlow) and are slow.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from tests.weights import random_weights
from vae import compare
from vae.compare import CompareSpec, Entry, Variant
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core import compare_metrics
from vae.data.presets import generate


# --- variants, spec, split -----------------------------------------------------------------------
def test_variants_differ_only_in_kind_and_their_setting():
    base = ModelConfig(encoder_units=(16,), decoder_units=(16,))
    spec = CompareSpec(
        variants=tuple(Variant(k, noise_std=0.3, sparsity=0.05, beta=4.0) for k in compare.VARIANT_KEYS),
        model=base,
    )
    configs = spec.model_configs()
    assert [c.kind for c in configs.values()] == ["ae", "denoising", "sparse", "vae", "vae"]
    assert configs["denoising"].noise_std == 0.3 and configs["sparse"].sparsity == 0.05
    assert configs["vae"].beta == 1.0 and configs["beta_vae"].beta == 4.0
    assert {c.encoder_units for c in configs.values()} == {(16,)}
    assert [v.label for v in spec.variants] == [
        "Autoencoder",
        "Denoising AE (σ=0.3)",
        "Sparse AE (λ=0.05)",
        "VAE",
        "β-VAE (β=4)",
    ]


def test_spec_validation_names_the_problem():
    with pytest.raises(ValueError, match="key must be one of"):
        Variant("gan")
    with pytest.raises(ValueError, match="beta"):
        Variant("beta_vae", beta=-1.0)
    with pytest.raises(ValueError, match="distinct keys"):
        CompareSpec(variants=(Variant("ae"), Variant("ae")))
    with pytest.raises(ValueError, match="1 to 5"):
        CompareSpec(variants=())
    with pytest.raises(ValueError, match="holdout"):
        CompareSpec(variants=(Variant("ae"),), holdout=0.9)
    with pytest.raises(ValueError, match="validation_split must be 0"):
        CompareSpec(variants=(Variant("ae"),), train=TrainConfig(validation_split=0.1))
    with pytest.raises(ValueError, match="batch_size"):
        CompareSpec(variants=(Variant("ae"),), train=TrainConfig(batch_size=128)).check_against_data(100)


def test_holdout_split_is_seeded_disjoint_and_complete():
    train, test = compare.holdout_split(1000, 0.2, seed=7)
    assert len(train) == 800 and len(test) == 200
    assert np.intersect1d(train, test).size == 0
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(1000))
    again = compare.holdout_split(1000, 0.2, seed=7)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    assert not np.array_equal(test, compare.holdout_split(1000, 0.2, seed=8)[1])
    assert compare.split_sizes(3, 0.1) == (2, 1)  # at least one held-out row


# --- each model's run ----------------------------------------------------------------------------
def test_a_new_comparison_queues_one_run_per_variant_on_the_shared_split():
    dataset = generate(DataConfig(n_samples=300))
    spec = CompareSpec(variants=(Variant("vae"), Variant("ae")), train=TrainConfig(epochs=3, seed=4))
    comparison = compare.Comparison.new(spec, dataset)
    assert list(comparison.entries) == ["vae", "ae"] and comparison.is_active
    assert all(e.status == "queued" and e.is_active for e in comparison.entries.values())
    assert comparison.entries["ae"].model_config == spec.model_configs()["ae"]
    assert all(
        e.train_config == spec.train and e.data_config == dataset.config for e in comparison.entries.values()
    )
    assert (
        comparison.queue.runs is comparison.entries
        and comparison.queue.heartbeat_timeout == compare.HEARTBEAT_S
    )
    train, test = compare.holdout_split(300, spec.holdout, seed=4)
    assert np.array_equal(comparison.train_rows, train) and np.array_equal(comparison.test_rows, test)
    assert comparison.matches(dataset) and not comparison.matches(generate(DataConfig(n_samples=301)))


def test_an_entry_follows_the_worker_messages_as_any_run_does():
    weights = random_weights(ModelConfig())
    entry = Entry(DataConfig(), ModelConfig(), TrainConfig(), status="queued", variant=Variant("vae"))
    assert entry.is_active and entry.metrics is None
    entry.apply({"type": "ready"})
    assert entry.status == "training"
    entry.apply({"type": "epoch", "record": {"epoch": 1, "loss": 3.0, "seconds": 0.25}, "weights": weights})
    entry.apply({"type": "epoch", "record": {"epoch": 2, "loss": 2.0, "seconds": 0.5}, "weights": None})
    assert entry.weights is weights and entry.epochs_done == 2 and entry.train_seconds == pytest.approx(0.75)
    entry.apply({"type": "done", "reason": "completed", "message": ""})
    assert entry.status == "finished" and not entry.is_active


def test_stop_all_keeps_what_trained_and_says_what_never_started():
    dataset = generate(DataConfig(n_samples=300))
    spec = CompareSpec(variants=(Variant("vae"), Variant("ae")), train=TrainConfig(epochs=3))
    comparison = compare.Comparison.new(spec, dataset)
    comparison.stop_all()  # nothing started yet: no job, both were queued
    assert not comparison.is_active and not comparison.queue.jobs
    assert [(e.status, e.message) for e in comparison.entries.values()] == [
        ("stopped", "Not started: the comparison was stopped."),
    ] * 2
    assert comparison.scored() == []


def test_pump_scores_a_model_that_ended_with_usable_weights_once():
    dataset = generate(DataConfig(n_samples=300))
    spec = CompareSpec(variants=(Variant("vae"), Variant("ae")), train=TrainConfig(epochs=3))
    comparison = compare.Comparison.new(spec, dataset)
    vae, ae = comparison.entries["vae"], comparison.entries["ae"]
    weights = random_weights(vae.model_config, seed=2)
    vae.apply({"type": "epoch", "record": {"epoch": 1, "loss": 3.0, "seconds": 0.1}, "weights": weights})
    vae.apply({"type": "done", "reason": "completed"})
    ae.apply({"type": "error", "message": "boom"})  # no weights: nothing to score
    comparison.pump(dataset)  # nothing queued: no job starts
    assert not comparison.queue.jobs and comparison.scored() == [vae]
    expected = compare_metrics.evaluate(
        weights,
        vae.model_config,
        dataset.values[comparison.test_rows],
        dataset.standardizer,
        n_prior=spec.n_prior,
        seed=spec.train.seed,
    )
    assert vae.metrics == expected and (ae.status, ae.message) == ("failed", "boom")


# --- training (TensorFlow) -----------------------------------------------------------------------
@pytest.mark.slow
def test_every_variant_trains_and_its_loss_falls():
    from vae.training.fit import fit

    x = generate(DataConfig(n_samples=256)).standardized()
    spec = CompareSpec(
        variants=tuple(Variant(k) for k in compare.VARIANT_KEYS),
        model=ModelConfig(encoder_units=(16,), decoder_units=(16,)),
        train=TrainConfig(epochs=12, batch_size=32, learning_rate=3e-3),
    )
    for key, config in spec.model_configs().items():
        result = fit(x, config, spec.train)
        losses = [r["loss"] for r in result.history]
        assert result.stop_reason == "completed", key
        assert len(losses) == 12
        assert losses[-1] < 0.5 * losses[0], (key, losses[0], losses[-1])
        assert result.weights.is_finite()


@pytest.mark.slow
def test_on_two_moons_the_vae_generates_closer_to_the_data_than_the_autoencoder():
    """The page's defaults (two moons, seed 0, 60 epochs, 20% held out), the page's metric.

    Energy distance of 1,000 decoded prior samples to the held-out rows, VAE / AE,
    measured over seeds 0-4: 0.28, 0.07, 0.38, 0.20, 0.45. Seed 0 (the default)
    is asserted with the issue's margin (< 0.5); training is deterministic for a seed.
    """
    from vae.training.fit import fit

    dataset = generate(DataConfig())
    spec = CompareSpec(variants=(Variant("ae"), Variant("vae")))
    train_rows, test_rows = compare.holdout_split(dataset.n_rows, spec.holdout, spec.train.seed)
    x = dataset.standardized()
    scores = {}
    for key, config in spec.model_configs().items():
        result = fit(x[train_rows], config, spec.train)
        scores[key] = compare_metrics.evaluate(
            result.weights,
            config,
            dataset.values[test_rows],
            dataset.standardizer,
            n_prior=spec.n_prior,
            seed=spec.train.seed,
        )
    floor = compare_metrics.reference_energy(x[train_rows], x[test_rows], spec.n_prior, seed=0)
    assert scores["vae"].energy < 0.5 * scores["ae"].energy, (scores["vae"].energy, scores["ae"].energy)
    assert scores["vae"].mmd < 0.5 * scores["ae"].mmd
    assert floor < scores["vae"].energy  # real data is still closer than any generator
    assert scores["vae"].active_units == 2
    # The bounds sit below the exact log-likelihood they stand in for.
    assert scores["vae"].iwae <= scores["vae"].exact_log_px + 0.01


# --- scoring in the training process -------------------------------------------------------------
def _until_done(job, timeout: float = 180.0) -> list[dict]:
    """Every message of ``job`` until its ``done`` or ``error`` (polled like the page, every 0.1 s)."""
    messages: list[dict] = []
    deadline = time.monotonic() + timeout
    while not any(m["type"] in ("done", "error") for m in messages):
        assert time.monotonic() < deadline, [m["type"] for m in messages]
        messages += job.poll()
        time.sleep(0.1)
    return messages


@pytest.mark.slow
def test_the_training_process_scores_its_model_with_the_numbers_evaluate_gives_here():
    """Each model's held-out scores come with its job's ``done``, equal to ``evaluate`` in this process."""
    from vae.training.worker import TrainingJob

    dataset = generate(DataConfig(n_samples=400))
    spec = CompareSpec(
        variants=(Variant("vae"), Variant("sparse")),
        model=ModelConfig(encoder_units=(16,), decoder_units=(16,)),
        train=TrainConfig(epochs=5, batch_size=64, seed=3),
        n_prior=300,
    )
    comparison = compare.Comparison.new(spec, dataset)
    x_train = dataset.standardized()[comparison.train_rows]
    for key, entry in comparison.entries.items():
        job = TrainingJob(x_train, entry.model_config, spec.train, held_out=comparison.held_out(dataset))
        job.start()
        try:
            messages = _until_done(job)
        finally:
            job.stop()
        for message in messages:
            entry.apply(message)
        done = messages[-1]
        assert (done["type"], done["reason"]) == ("done", "completed"), done
        expected = compare_metrics.evaluate(
            entry.weights,  # the last epoch's, sent with it
            entry.model_config,
            dataset.values[comparison.test_rows],
            dataset.standardizer,
            n_prior=spec.n_prior,
            seed=spec.train.seed,
        )
        assert isinstance(done["metrics"], compare_metrics.Metrics), key
        np.testing.assert_equal(dataclasses.asdict(entry.metrics), dataclasses.asdict(expected))
        assert np.isfinite(expected.energy) and (np.isfinite(expected.exact_log_px) == (key == "vae"))
    assert comparison.scored() == list(comparison.entries.values())
    comparison.pump(dataset)  # nothing queued or left to score: the page computes nothing
    assert not comparison.queue.jobs


@pytest.mark.slow
def test_a_stopped_model_is_scored_by_the_page_and_continuing_clears_old_scores():
    """A job stopped by the user sends no scores; the comparison scores its weights itself."""
    from vae.training.worker import TrainingJob

    dataset = generate(DataConfig(n_samples=400))
    spec = CompareSpec(
        variants=(Variant("ae"),),
        model=ModelConfig(encoder_units=(16,), decoder_units=(16,)),
        train=TrainConfig(epochs=10_000, batch_size=64, until_paused=True),
        n_prior=200,
    )
    comparison = compare.Comparison.new(spec, dataset)
    entry = comparison.entries["ae"]
    job = TrainingJob(
        dataset.standardized()[comparison.train_rows],
        entry.model_config,
        spec.train,
        held_out=comparison.held_out(dataset),
    )
    job.start()
    try:
        deadline = time.monotonic() + 180
        while entry.epochs_done < 3:
            assert time.monotonic() < deadline
            entry.drain(job)
            time.sleep(0.1)
    finally:
        job.stop()
    messages = entry.drain(job)
    assert messages[-1]["type"] == "done" and messages[-1]["metrics"] is None
    assert entry.status == "stopped" and entry.metrics is None
    comparison.pump(dataset)
    expected = compare_metrics.evaluate(
        entry.weights,
        entry.model_config,
        dataset.values[comparison.test_rows],
        dataset.standardizer,
        n_prior=spec.n_prior,
        seed=spec.train.seed,
    )
    np.testing.assert_equal(dataclasses.asdict(entry.metrics), dataclasses.asdict(expected))
    entry.apply({"type": "ready"})  # continued: a new job trains the model further
    assert entry.metrics is None
