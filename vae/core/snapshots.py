"""Weight snapshots of a run at a bounded, log-spaced set of epochs, for replaying training.

The epoch timeline replays the latent view and the data panel at an earlier
epoch, so a run keeps copies of its weights: every epoch at first, then fewer
and fewer (the model changes fastest early on). ``SnapshotSchedule`` decides
which epochs are kept without knowing how long the run will be (open-ended
runs and Continue are the norm): an epoch is kept when it is the first epoch
of a log-spaced bin, ``floor(log(epoch) / log(ratio))``. When more than
``MAX_SNAPSHOTS`` would be kept, the ratio is squared: each new bin is the
union of two old ones and starts where the first of them did, so the new kept
set is a subset of the old one (nothing needs re-sending) and stays roughly
log-spaced. The training worker and the page run the same schedule, so the
worker sends weights exactly at the epochs the page will keep.

Memory bound: at most ``MAX_SNAPSHOTS`` snapshots plus the newest epoch, each
``n_params * 4`` bytes (float32), so ``memory_bound_bytes(config)``. For the
default model (2 -> 64-32 -> 2 -> 32-64 -> 2, 4,742 weights) that is 3.8 MB;
for a 64-column digits model with 256-128 layers (99,908 weights), 80 MB.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from vae.config import ModelConfig
from vae.core.decode import NetworkWeights

MAX_SNAPSHOTS = 200  # per run, the newest epoch included: enough for a smooth replay, bounded in memory
# The first bins: every epoch up to 10 is kept, then about one in ten percent. The worker offers
# every epoch while it trains one epoch per call, then each fused call's last epoch (it never cuts
# a call at a scheduled epoch: that retraced); a denser ratio spends more of the slots early.
FIRST_RATIO = 1.1


def _bin(epoch: int, ratio: float) -> int:
    return math.floor(math.log(epoch) / math.log(ratio) + 1e-9)


@dataclass
class SnapshotSchedule:
    """Which epochs keep their weights (see the module docstring)."""

    # At most this many scheduled epochs at any time (SnapshotStore keeps the newest one besides).
    max_kept: int = MAX_SNAPSHOTS - 1
    ratio: float = FIRST_RATIO  # the current bin ratio (grows as the run grows)
    kept: list[int] = field(default_factory=list)  # the scheduled epochs, ascending

    def __post_init__(self) -> None:
        if self.max_kept < 2:
            raise ValueError(f"max_kept must be at least 2. Received: max_kept={self.max_kept}")

    def offer(self, epoch: int) -> tuple[bool, list[int]]:
        """Tell the schedule that ``epoch`` was trained (epochs ascending, 1-based).

        Returns:
            ``(keep, dropped)``: whether to keep this epoch's weights, and the
            earlier epochs no longer kept (their weights can be freed).
        """
        if epoch < 1 or (self.kept and epoch <= self.kept[-1]):
            raise ValueError(
                f"epochs must be offered ascending from 1. Received: {epoch} after {self.kept[-1:]}"
            )
        if self.kept and _bin(epoch, self.ratio) == _bin(self.kept[-1], self.ratio):
            return False, []
        self.kept.append(epoch)
        dropped: list[int] = []
        while len(self.kept) > self.max_kept:
            self.ratio *= self.ratio
            survivors, last_bin = [], None
            for e in self.kept:
                b = _bin(e, self.ratio)
                if b != last_bin:
                    survivors.append(e)
                    last_bin = b
                else:
                    dropped.append(e)
            self.kept = survivors
        keep = self.kept[-1] == epoch
        return keep, [e for e in dropped if e != epoch]  # this epoch's weights were never stored


def memory_bound_bytes(config: ModelConfig) -> int:
    """Most bytes a run's snapshots of this architecture can take (``MAX_SNAPSHOTS`` + the newest)."""
    return (MAX_SNAPSHOTS + 1) * 4 * n_params(config)


def n_params(config: ModelConfig) -> int:
    """Number of weights (kernels and biases) of the encoder's two heads and the decoder."""
    sizes = [config.input_dim, *config.encoder_units]
    count = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    count += 2 * (sizes[-1] + 1) * config.latent_dim
    sizes = [config.latent_dim, *config.decoder_units, config.input_dim]
    return count + sum((a + 1) * b for a, b in itertools.pairwise(sizes))


def nbytes(weights: NetworkWeights) -> int:
    return sum(a.nbytes for a in weights.arrays())


@dataclass
class SnapshotStore:
    """A run's weight snapshots: the scheduled epochs plus the newest one.

    Feed it every epoch's weights that arrive (``add``); it keeps what the
    schedule keeps and always the newest, copying nothing (the arrays are
    the worker's, unshared).
    """

    schedule: SnapshotSchedule = field(default_factory=SnapshotSchedule)
    _weights: dict[int, NetworkWeights] = field(default_factory=dict)
    _newest: tuple[int, NetworkWeights] | None = None

    def add(self, epoch: int, weights: NetworkWeights | None, scheduled: bool = True) -> None:
        """Record that ``epoch`` was trained, with its weights when they were sent.

        Args:
            epoch: epochs in ascending order.
            weights: that epoch's weights, or None when none were sent.
            scheduled: offer this epoch to the schedule. The worker offers its
                schedule only the last epoch of each compiled call and flags
                the ones it keeps (``"snapshot"``); the page passes that flag,
                so both schedules see the same kept epochs (offering an epoch
                that is not kept changes nothing).
        """
        keep, dropped = self.schedule.offer(epoch) if scheduled else (False, [])
        for old in dropped:
            self._weights.pop(old, None)
        if weights is None:
            return
        if keep:
            self._weights[epoch] = weights
        self._newest = (epoch, weights)

    def epochs(self) -> list[int]:
        """Epochs that can be replayed, ascending."""
        epochs = sorted(self._weights)
        if self._newest is not None and (not epochs or self._newest[0] > epochs[-1]):
            epochs.append(self._newest[0])
        return epochs

    def weights_at(self, epoch: int) -> tuple[int, NetworkWeights]:
        """The snapshot at ``epoch``, or else the latest one before it (the first if none is).

        Raises:
            LookupError: if the store is empty.
        """
        epochs = self.epochs()
        if not epochs:
            raise LookupError("This run has no weight snapshots yet; train at least one epoch.")
        i = max(bisect.bisect_right(epochs, epoch) - 1, 0)
        chosen = epochs[i]
        if chosen in self._weights:
            return chosen, self._weights[chosen]
        assert self._newest is not None
        return self._newest

    def __len__(self) -> int:
        return len(self.epochs())

    @property
    def nbytes(self) -> int:
        """Bytes held by the snapshots' arrays."""
        held = {id(w): w for w in self._weights.values()}
        if self._newest is not None:
            held[id(self._newest[1])] = self._newest[1]
        return sum(nbytes(w) for w in held.values())

    def items(self) -> list[tuple[int, NetworkWeights]]:
        """``(epoch, weights)`` for every replayable epoch, ascending (for saving)."""
        return [self.weights_at(e) for e in self.epochs()]

    @classmethod
    def from_items(cls, items: list[tuple[int, NetworkWeights]]) -> SnapshotStore:
        """A store holding exactly these snapshots (a loaded bundle); later epochs can be added."""
        store = cls()
        epochs = [int(e) for e, _ in items]
        if epochs != sorted(set(epochs)):
            raise ValueError(f"snapshot epochs must be distinct and ascending. Received: {epochs[:10]}")
        store.schedule.kept = list(epochs)
        store._weights = {int(e): w for e, w in items}
        if items:
            store._newest = (int(items[-1][0]), items[-1][1])
        return store


def stacked(items: list[tuple[int, NetworkWeights]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Epochs (n,) and each weight array stacked along a new first axis, for saving."""
    epochs = np.asarray([e for e, _ in items], np.int64)
    arrays = [np.stack(column) for column in zip(*(w.arrays() for _, w in items), strict=True)]
    return epochs, arrays
