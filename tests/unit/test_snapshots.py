"""The snapshot schedule, its memory bound and the store (vae/core/snapshots.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.weights import random_weights
from vae.config import ModelConfig
from vae.core.snapshots import (
    MAX_SNAPSHOTS,
    SnapshotSchedule,
    SnapshotStore,
    memory_bound_bytes,
    n_params,
    nbytes,
)


@pytest.mark.parametrize("epochs", [60, 1_000, 20_000, 300_000])
def test_schedule_is_bounded_dense_early_and_log_spaced(epochs):
    schedule = SnapshotSchedule()
    history = []
    for epoch in range(1, epochs + 1):
        keep, dropped = schedule.offer(epoch)
        assert len(schedule.kept) <= MAX_SNAPSHOTS - 1
        assert set(dropped) <= set(history) and not set(dropped) & set(schedule.kept)
        if keep:
            history.append(epoch)
    kept = np.array(schedule.kept)
    assert kept[0] == 1 and set(kept.tolist()) <= set(history)  # thinning only removes
    assert kept.tolist()[: min(10, epochs)] == list(range(1, min(10, epochs) + 1))  # every early epoch
    # Log-spaced: the gap between kept epochs grows with the epoch; no stretch of the log axis is empty.
    ratios = kept[1:] / kept[:-1]
    assert ratios.max() <= 2.0
    if epochs >= 1_000:
        assert len(kept) >= 50  # a useful density, not a handful
        late = kept[kept > epochs / 10]
        assert np.all(np.diff(late) > 1)  # sparser later
        assert ratios[len(ratios) // 2 :].max() < 1.2


def test_store_memory_stays_under_its_bound_over_a_long_open_ended_run():
    config = ModelConfig()
    store = SnapshotStore()
    schedule = SnapshotSchedule()  # the worker's copy decides which epochs carry weights
    sent, last_sent = 0, 0
    for epoch in range(1, 50_001):
        keep, _ = schedule.offer(epoch)
        # The worker sends scheduled epochs, and the newest now and then (the live view).
        weights = random_weights(config, epoch) if keep or epoch % 997 == 0 else None
        if weights is not None:
            sent, last_sent = sent + 1, epoch
        store.add(epoch, weights)
        assert len(store) <= MAX_SNAPSHOTS
    assert store.nbytes <= memory_bound_bytes(config)
    assert nbytes(random_weights(config, 0)) == 4 * n_params(config)
    assert store.epochs() == sorted({*schedule.kept, last_sent})
    assert sent > len(store)  # thinned along the way


def test_weights_at_returns_that_epochs_arrays_or_the_latest_before():
    config = ModelConfig()
    store = SnapshotStore()
    made = {}
    for epoch in range(1, 31):
        made[epoch] = random_weights(config, epoch)
        store.add(epoch, made[epoch])
    kept = store.epochs()
    assert kept[:10] == list(range(1, 11)) and kept[-1] == 30  # every early epoch, and the newest
    for epoch in kept:
        assert store.weights_at(epoch) == (epoch, made[epoch])
    between = next(e for e in range(1, 30) if e not in kept)  # an epoch that was not kept
    before = max(e for e in kept if e < between)
    assert store.weights_at(between) == (before, made[before])
    assert store.weights_at(10_000)[0] == 30 and store.weights_at(0)[0] == 1
    with pytest.raises(LookupError, match="no weight snapshots"):
        SnapshotStore().weights_at(1)


def test_schedule_refuses_epochs_out_of_order():
    schedule = SnapshotSchedule()
    schedule.offer(1)
    with pytest.raises(ValueError, match="ascending"):
        schedule.offer(1)
