"""Training in this process: ``fit`` (the command line's engine and the benchmarks' baseline) and
the seeded validation split every training uses (``split_data``, also run by the worker child).

Imports TensorFlow only inside ``fit``, so the split is available without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vae.config import ModelConfig, TrainConfig
from vae.core.decode import NetworkWeights
from vae.runs.run import Record


@dataclass
class TrainResult:
    """What ``fit`` returns: the history, the final (finite) weights and why it stopped."""

    history: list[Record]
    weights: NetworkWeights
    stop_reason: str
    message: str = ""


def split_data(x: np.ndarray, config: TrainConfig) -> tuple[np.ndarray, np.ndarray | None]:
    """Seeded train/validation split of the rows of ``x``."""
    x = np.asarray(x, np.float32)
    config.check_against_data(len(x))
    _, n_val = config.split_sizes(len(x))
    if n_val == 0:
        return x, None
    order = np.random.default_rng(config.seed).permutation(len(x))
    return x[order[n_val:]], x[order[:n_val]]


def fit(
    x_train: np.ndarray,
    model_config: ModelConfig,
    train_config: TrainConfig,
    x_val: np.ndarray | None = None,
    on_epoch: Callable[[Record], None] | None = None,
) -> TrainResult:
    """Train until done (epochs, early stopping, NaN or divergence), one compiled call per epoch,
    calling ``on_epoch`` with each record."""
    from vae.training.engine import Trainer

    trainer = Trainer(x_train, model_config, train_config, x_val)
    while not trainer.done:
        record = trainer.run_epoch()
        if on_epoch is not None:
            on_epoch(record)
    return TrainResult(trainer.history, trainer.weights(), trainer.stop_reason, trainer.message)
