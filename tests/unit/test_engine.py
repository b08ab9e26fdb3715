import numpy as np
import pytest

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import generate
from vae.training.engine import Trainer
from vae.training.fit import fit, split_data


@pytest.fixture(scope="module")
def moons():
    return generate(DataConfig(n_samples=1000, seed=0)).standardized()


def test_loss_falls_well_below_its_start(moons):
    result = fit(moons, ModelConfig(), TrainConfig(epochs=40, batch_size=64))
    losses = [r["loss"] for r in result.history]
    assert result.stop_reason == "completed" and len(losses) == 40
    assert losses[-1] < 0.2 * losses[0]
    assert result.history[-1]["recon"] < 3.0  # sigma=0.1: MSE per dim ~< 0.03 in standardized units


def test_seeded_runs_repeat_exactly_and_seeds_differ(moons):
    def curve(seed):
        return [r["loss"] for r in fit(moons, ModelConfig(), TrainConfig(epochs=5, seed=seed)).history]

    assert curve(3) == curve(3)
    assert curve(3) != curve(4)


def test_records_have_terms_validation_and_timing(moons):
    x_train, x_val = split_data(moons, TrainConfig(validation_split=0.2))
    assert len(x_train) == 800 and len(x_val) == 200
    trainer = Trainer(x_train, ModelConfig(), TrainConfig(epochs=2, validation_split=0.2), x_val=x_val)
    record = trainer.run_epoch()
    assert record["epoch"] == 1
    assert record["loss"] == pytest.approx(record["recon"] + record["beta"] * record["kl"], rel=1e-4)
    for key in ("val_loss", "val_recon", "val_kl", "seconds", "samples_per_s"):
        assert np.isfinite(record[key])
    trainer.run_epoch()
    assert trainer.done and trainer.stop_reason == "completed"
    with pytest.raises(RuntimeError):
        trainer.run_epoch()


def test_kl_warmup_ramps_beta(moons):
    trainer = Trainer(moons, ModelConfig(beta=2.0), TrainConfig(epochs=6, kl_warmup_epochs=4))
    betas = [trainer.run_epoch()["beta"] for _ in range(6)]
    assert betas == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.0])


def test_nan_guard_keeps_last_finite_weights(moons):
    config = TrainConfig(epochs=30, learning_rate=1.0, optimizer="sgd", momentum=0.99, clip_norm=1e6)
    result = fit(moons, ModelConfig(), config)
    assert result.stop_reason in ("nan", "diverged")
    assert "learning rate" in result.message
    assert result.weights.is_finite()
    assert len(result.history) < 30


def test_injected_inf_stops_with_previous_weights(moons):
    trainer = Trainer(moons, ModelConfig(), TrainConfig(epochs=10))
    trainer.run_epoch()
    good = [a.copy() for a in trainer.weights().arrays()]
    layer = trainer.model.decoder.get_layer("x_mean")
    layer.kernel.assign(np.full(layer.kernel.shape, np.inf, np.float32))
    trainer.run_epoch()
    assert trainer.stop_reason == "nan"
    for kept, expected in zip(trainer.weights().arrays(), good, strict=True):
        np.testing.assert_array_equal(kept, expected)
    np.testing.assert_array_equal(layer.kernel.numpy(), good[-2])  # restored into the model


def test_early_stopping_reports_every_epoch(moons):
    calls = []
    result = fit(
        moons,
        ModelConfig(),
        TrainConfig(epochs=500, early_stopping_patience=1, learning_rate=0.05),
        on_epoch=calls.append,
    )
    assert result.stop_reason == "early_stopping" and calls == result.history and len(calls) < 500


def test_bad_data_is_refused(moons):
    with pytest.raises(ValueError, match="batch_size must not exceed"):
        Trainer(moons[:10], ModelConfig(), TrainConfig(batch_size=128))
    bad = moons.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        Trainer(bad, ModelConfig(), TrainConfig())
    with pytest.raises(ValueError, match="shape"):
        Trainer(moons, ModelConfig(input_dim=3), TrainConfig())


def test_a_huge_adam_learning_rate_is_caught_not_completed(moons):
    result = fit(moons, ModelConfig(), TrainConfig(epochs=20, learning_rate=1.0))
    assert result.stop_reason in ("nan", "diverged"), [r["loss"] for r in result.history]
    assert result.weights.is_finite()


def test_xla_only_for_runs_long_enough_to_repay_compiling(moons):
    assert Trainer(moons, ModelConfig(), TrainConfig(epochs=5)).xla is False
    assert Trainer(moons, ModelConfig(), TrainConfig(epochs=2000)).xla is True  # 2000 x 1000 rows
    assert Trainer(moons, ModelConfig(), TrainConfig(epochs=2000, jit_compile=False)).xla is False
    forced = Trainer(moons, ModelConfig(), TrainConfig(epochs=5), xla=True)
    assert forced.xla is True and np.isfinite(forced.run_epoch()["loss"])


@pytest.mark.parametrize("validation_split", [0.0, 0.2])
def test_an_epoch_cut_into_calls_reports_exactly_the_losses_of_one_call(moons, monkeypatch, validation_split):
    """On a loaded machine a call may train only part of an epoch (the call budget is in seconds);
    the records must not depend on where the calls were cut (seeded runs repeat exactly)."""
    from vae.training import engine

    config = TrainConfig(epochs=3, seed=1, validation_split=validation_split)
    x_train, x_val = split_data(moons, config)

    def records(budget_s: float) -> list[dict]:
        monkeypatch.setattr(engine, "CALL_BUDGET_S", budget_s)
        trainer = Trainer(x_train, ModelConfig(), config, x_val)
        calls = 0
        while not trainer.done:
            trainer.run()
            calls += 1
        return calls, trainer.history

    one_call_per_epoch, whole = records(1e3)
    one_step_per_call, cut = records(1e-9)
    assert one_call_per_epoch <= 3 and one_step_per_call == 3 * trainer_batches(x_train, config)
    keys = [k for k in whole[0] if k.endswith(("loss", "recon", "kl", "penalty"))]
    assert [[r[k] for k in keys] for r in cut] == [[r[k] for k in keys] for r in whole]


def trainer_batches(x_train: np.ndarray, config: TrainConfig) -> int:
    return len(x_train) // config.batch_size


def test_a_rewarmed_trainer_trains_the_next_run_exactly_as_a_fresh_one(moons):
    """``rewarm`` (calling the compiled functions once more on stand-in rows) changes no run."""
    x_train, x_val = split_data(moons, TrainConfig(validation_split=0.2))
    config = TrainConfig(epochs=4, batch_size=64, seed=3)
    used = Trainer(x_train, ModelConfig(), config, x_val)
    while not used.done:
        used.run()
    Trainer(x_train, ModelConfig(kind="ae"), config)  # another model traced in this process
    used.rewarm()
    used.begin(x_train, config, x_val)
    fresh = Trainer(x_train, ModelConfig(), config, x_val)
    for trainer in (used, fresh):
        while not trainer.done:
            trainer.run()
    keys = ("epoch", "loss", "recon", "kl", "val_loss")
    assert [[r[k] for k in keys] for r in used.history] == [[r[k] for k in keys] for r in fresh.history]
    for a, b in zip(used.weights().arrays(), fresh.weights().arrays(), strict=True):
        np.testing.assert_array_equal(a, b)
