"""The run bundle's optional snapshots.h5 member: round trip, older bundles, and bad files refused."""

from __future__ import annotations

import io

import h5py
import numpy as np
import pytest

from tests.unit.test_bundle import make_run, members_of, refused, rezip
from tests.weights import random_weights
from vae.core.snapshots import MAX_SNAPSHOTS, SnapshotSchedule, SnapshotStore
from vae.storage.bundle_format import SNAPSHOTS
from vae.storage.bundle_load import load_bundle
from vae.storage.bundle_save import save_bundle
from vae.storage.bundle_weights import snapshots_to_h5

EPOCHS = 40


def run_with_snapshots():
    run, dataset = make_run()
    run.history = [
        {"epoch": e, "loss": 3.0 / e, "recon": 2.0 / e, "kl": 1.0 / e} for e in range(1, EPOCHS + 1)
    ]
    store = SnapshotStore()
    for epoch in range(1, EPOCHS + 1):
        store.add(
            epoch, random_weights(run.model_config, seed=epoch) if epoch % 3 == 1 or epoch == EPOCHS else None
        )
    run.snapshots = store
    run.weights = store.weights_at(EPOCHS)[1]
    return run, dataset


@pytest.fixture(scope="module")
def saved():
    run, dataset = run_with_snapshots()
    return run, dataset, save_bundle(run, dataset)


def test_snapshots_round_trip_exactly(saved):
    run, _, data = saved
    assert SNAPSHOTS in members_of(data)
    loaded, _ = load_bundle(data)
    scheduled = SnapshotSchedule()
    expected = [e for e in range(1, EPOCHS + 1) if scheduled.offer(e)[0] and e % 3 == 1] + [EPOCHS]
    assert loaded.snapshots.epochs() == run.snapshots.epochs() == expected
    for (e1, w1), (e2, w2) in zip(run.snapshots.items(), loaded.snapshots.items(), strict=True):
        assert e1 == e2
        for a, b in zip(w1.arrays(), w2.arrays(), strict=True):
            assert b.dtype == np.float32
            np.testing.assert_array_equal(a, b)
    # A loaded run's timeline keeps growing when it is continued.
    loaded.snapshots.add(EPOCHS + 1, random_weights(run.model_config, seed=99))
    assert loaded.snapshots.epochs()[-1] == EPOCHS + 1


def test_a_bundle_without_snapshots_loads_with_an_empty_timeline(saved):
    _, _, data = saved
    members = members_of(data)
    del members[SNAPSHOTS]
    loaded, _ = load_bundle(rezip(members))
    assert len(loaded.snapshots) == 0 and loaded.weights is not None


def edited(data: bytes, edit) -> bytes:
    members = members_of(data)
    buffer = io.BytesIO(members[SNAPSHOTS])
    with h5py.File(buffer, "a") as f:
        edit(f)
    members[SNAPSHOTS] = buffer.getvalue()
    return rezip(members)


def replace(f, name, value):
    del f[name]
    f[name] = value


def test_bad_snapshot_files_are_refused_with_one_line(saved):
    run, _, data = saved
    kernel = "encoder/layers/dense/vars/0"
    n = len(run.snapshots)
    cases = {
        "descending epochs": (lambda f: replace(f, "epochs", np.arange(n, 0, -1, dtype=np.int64)), "ascend"),
        "epochs past the run": (
            lambda f: replace(f, "epochs", np.arange(1, n + 1, dtype=np.int64) * 1000),
            "ascend within 1..40",
        ),
        "float epochs": (lambda f: replace(f, "epochs", np.arange(1, n + 1, dtype=np.float64)), "int64"),
        "NaN weights": (lambda f: replace(f, kernel, np.full(f[kernel].shape, np.nan, np.float32)), "NaN"),
        "wrong shape": (lambda f: replace(f, kernel, np.zeros((n, 3, 3), np.float32)), "shape"),
        "extra array": (lambda f: f.create_dataset("secret", data=np.zeros(3)), "unexpected secret"),
        "soft link": (lambda f: f.__setitem__("link", h5py.SoftLink("/epochs")), "link"),
    }
    for name, (edit, words) in cases.items():
        message = refused(edited(data, edit), "snapshots.h5" if name != "soft link" else "link", words)
        assert "Save the run again" in message or "Re-save" in message, (name, message)


def test_more_snapshots_than_a_run_keeps_are_refused(saved):
    run, _, data = saved
    weights = random_weights(run.model_config, 0)
    items = [(e, weights) for e in range(1, MAX_SNAPSHOTS + 2)]
    members = members_of(data)
    members[SNAPSHOTS] = snapshots_to_h5(run.model_config, items)
    refused(rezip(members), "snapshots.h5", f"1 to {MAX_SNAPSHOTS}")


def test_not_hdf5_is_refused(saved):
    _, _, data = saved
    members = members_of(data)
    members[SNAPSHOTS] = b"not an hdf5 file"
    refused(rezip(members), "snapshots.h5", "not a readable HDF5")
