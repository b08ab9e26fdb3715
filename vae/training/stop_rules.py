"""When a training run stops, and which weights it keeps (no TensorFlow: records and NumPy weights).

The engine shows ``StopRules.check`` every epoch's record, with the weights after each compiled
call. A loss or weights turned NaN or infinite, or a loss far above where the run started,
stop the run with the last finite weights (the engine restores them into the model); no
improvement for ``early_stopping_patience`` epochs stops it with the weights it trained.
"""

from __future__ import annotations

import math

from vae.config import TrainConfig
from vae.core.decode import NetworkWeights
from vae.runs.run import Record

# A loss this many times the untrained model's (and above DIVERGENCE_FLOOR)
# means the optimizer is ascending, not descending.
DIVERGENCE_FACTOR = 100.0
DIVERGENCE_FLOOR = 1e4


class StopRules:
    """The stop rules of one run, and the last finite weights it trained.

    Args:
        initial_loss: the loss where the run starts: divergence is judged against it, since a
            bad learning rate can make even the first epoch's mean loss astronomical.
        weights: the weights it starts from, trained up to ``epoch``.
    """

    def __init__(self, initial_loss: float, weights: NetworkWeights, epoch: int) -> None:
        self.initial_loss = initial_loss
        self.good_weights, self.good_epoch = weights, epoch
        self._best, self._since_best = math.inf, 0

    def check(
        self, record: Record, weights: NetworkWeights | None, config: TrainConfig
    ) -> tuple[str, str] | None:
        """Why the run stops after ``record``'s epoch, as (reason, message); None if it goes on.

        ``weights``: the weights after that epoch when a compiled call ended with it (kept if
        finite). Every loss term adds into ``loss`` (and ``val_loss``), so those two are non-finite
        whenever any term is.
        """
        epoch, kept = record["epoch"], f"the weights from epoch {self.good_epoch} were kept"
        if not (math.isfinite(record["loss"]) and math.isfinite(record.get("val_loss", 0.0))):
            return "nan", (
                f"The loss became NaN or infinite at epoch {epoch}; {kept}. Try a lower learning rate "
                f"(now {config.learning_rate:g}) or standardize the data."
            )
        if record["loss"] > max(DIVERGENCE_FACTOR * abs(self.initial_loss), DIVERGENCE_FLOOR):
            return "diverged", (
                f"The loss grew from {self.initial_loss:.3g} to {record['loss']:.3g} by epoch {epoch}: "
                f"training diverged, so it was stopped and {kept}. Try a lower learning rate."
            )
        if weights is not None:
            if not weights.is_finite():
                return "nan", (
                    f"The weights became NaN or infinite at epoch {epoch}; {kept}. Try a lower learning rate."
                )
            self.good_weights, self.good_epoch = weights, epoch
        monitor = record.get("val_loss", record["loss"])
        if monitor < self._best - 1e-6:
            self._best, self._since_best = monitor, 0
        else:
            self._since_best += 1
        patience = config.early_stopping_patience
        if patience and self._since_best >= patience:
            return "early_stopping", f"Stopped early at epoch {epoch}: no improvement for {patience} epochs."
        return None
