"""When a run stops and which weights it keeps, judged on records as the engine hands them over."""

from __future__ import annotations

import numpy as np

from tests.weights import random_weights
from vae.config import ModelConfig, TrainConfig
from vae.core.decode import weights_from_arrays
from vae.training.stop_rules import StopRules

CONFIG = ModelConfig()


def test_a_nan_validation_loss_stops_the_run_and_keeps_the_last_finite_weights():
    start, epoch_3 = random_weights(CONFIG, 0), random_weights(CONFIG, 3)
    rules = StopRules(initial_loss=5.0, weights=start, epoch=2)
    assert rules.check({"epoch": 3, "loss": 4.0, "val_loss": 4.5}, epoch_3, TrainConfig()) is None
    reason, message = rules.check({"epoch": 4, "loss": 3.9, "val_loss": np.nan}, None, TrainConfig())
    assert reason == "nan" and "epoch 4" in message and "from epoch 3 were kept" in message
    assert rules.good_weights is epoch_3 and rules.good_epoch == 3


def test_weights_gone_infinite_stop_the_run_even_with_a_finite_loss():
    start = random_weights(CONFIG, 0)
    arrays = [a.copy() for a in start.arrays()]
    arrays[-2][0, 0] = np.inf
    rules = StopRules(initial_loss=5.0, weights=start, epoch=0)
    reason, message = rules.check(
        {"epoch": 1, "loss": 4.0}, weights_from_arrays(CONFIG, arrays), TrainConfig()
    )
    assert reason == "nan" and message.startswith("The weights became NaN") and rules.good_weights is start


def test_a_loss_far_above_its_start_diverges_and_a_flat_one_stops_early():
    rules = StopRules(initial_loss=200.0, weights=random_weights(CONFIG, 0), epoch=0)
    assert rules.check({"epoch": 1, "loss": 19_000.0}, None, TrainConfig()) is None  # below 100x the start
    reason, message = rules.check({"epoch": 2, "loss": 21_000.0}, None, TrainConfig())
    assert reason == "diverged" and "from 200 to 2.1e+04" in message
    config = TrainConfig(early_stopping_patience=2)
    rules = StopRules(initial_loss=5.0, weights=random_weights(CONFIG, 0), epoch=0)
    verdicts = [rules.check({"epoch": e, "loss": 4.0}, None, config) for e in (1, 2, 3)]
    assert verdicts[:2] == [None, None]
    assert verdicts[2] == ("early_stopping", "Stopped early at epoch 3: no improvement for 2 epochs.")
