"""A training run as the UI holds it: settings, history, latest weights, status.

Plain data (no TensorFlow, no Streamlit): the Train page fills it from the
worker's records, Explore / Compare / Learn read it, bundles save it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.decode import NetworkWeights
from vae.snapshots import SnapshotStore

RunStatus = Literal["starting", "training", "paused", "finished", "stopped", "diverged", "failed"]


@dataclass
class Run:
    """One model's training run.

    Attributes:
        data_config, model_config, train_config: the settings it ran with.
        history: one record per epoch: ``epoch`` (1-based), ``loss``,
            ``recon``, ``kl``, ``penalty``, ``beta``, ``seconds`` and, with a
            validation split, ``val_loss``, ``val_recon``, ``val_kl``. Losses
            are nats per point on standardized data.
        weights: the latest finite weights (None before the first epoch).
        status: where the run is.
        message: why it stopped, for the user (empty when all is well).
        snapshots: weights at a bounded, log-spaced set of epochs (the epoch
            timeline replays them; see ``vae.snapshots``).
    """

    data_config: DataConfig
    model_config: ModelConfig
    train_config: TrainConfig
    history: list[dict[str, Any]] = field(default_factory=list)
    weights: NetworkWeights | None = None
    status: RunStatus = "starting"
    message: str = ""
    snapshots: SnapshotStore = field(default_factory=SnapshotStore)

    @property
    def epochs_done(self) -> int:
        return int(self.history[-1]["epoch"]) if self.history else 0

    @property
    def last_loss(self) -> float:
        return float(self.history[-1]["loss"]) if self.history else math.nan

    @property
    def is_active(self) -> bool:
        return self.status in ("starting", "training", "paused")

    @property
    def usable(self) -> bool:
        """Has weights that can be explored (finite, from at least one epoch)."""
        return self.weights is not None and self.weights.is_finite()
