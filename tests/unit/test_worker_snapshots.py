"""The worker's weight snapshots for the epoch timeline, and slow motion.

Replaying epoch N must decode exactly as the model did at epoch N: a run's
snapshot at N equals the final weights of a second run of N epochs with the
same seed (training is deterministic given the seed), and the parent keeps
every scheduled snapshot even when it polls rarely.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core.decode import decode, latent_grid
from vae.core.snapshots import SnapshotSchedule, SnapshotStore
from vae.data.presets import generate
from vae.training.worker import TrainingJob

pytestmark = pytest.mark.slow

SMALL = ModelConfig(encoder_units=(16,), decoder_units=(16,))


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return generate(DataConfig(n_samples=256, seed=2)).standardized()


def run_to_end(job: TrainingJob, poll_every: float = 0.1, timeout: float = 180.0) -> list[dict]:
    job.start()
    messages: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages += job.poll()
        if any(m["type"] in ("done", "error") for m in messages):
            return messages
        time.sleep(poll_every)
    job.stop()
    raise AssertionError(f"the job did not end in {timeout:g} s")


def store_of(messages: list[dict]) -> SnapshotStore:
    store = SnapshotStore()
    for m in messages:
        if m["type"] == "epoch":
            store.add(int(m["record"]["epoch"]), m.get("weights"), scheduled=bool(m.get("snapshot")))
    return store


def test_every_scheduled_epoch_arrives_with_its_weights_even_when_polled_rarely(x):
    config = TrainConfig(epochs=300, batch_size=64, seed=4)
    messages = run_to_end(TrainingJob(x, SMALL, config), poll_every=2.0)
    flagged = [m for m in messages if m["type"] == "epoch" and m.get("snapshot")]
    assert all(m["weights"] is not None for m in flagged)
    schedule = SnapshotSchedule()  # offered only the flagged epochs, it keeps every one of them
    assert all(schedule.offer(m["record"]["epoch"])[0] for m in flagged)
    store = store_of(messages)
    assert store.epochs() == sorted({m["record"]["epoch"] for m in flagged} | {300})
    kept = np.array(store.epochs())
    assert (kept[1:] / kept[:-1]).max() <= 3.0  # log-spaced: no stretch of the run left out
    assert store.epochs()[:10] == list(range(1, 11))  # dense early


def test_replaying_epoch_n_decodes_exactly_as_the_model_did_at_epoch_n(x):
    config = TrainConfig(epochs=40, batch_size=64, seed=7)
    whole = store_of(run_to_end(TrainingJob(x, SMALL, config)))
    z = latent_grid(-3, 3, 9)
    for n in (1, 9, next(e for e in whole.epochs() if e > 20)):  # stored epochs, early and later
        alone = store_of(run_to_end(TrainingJob(x, SMALL, config.replace(epochs=n))))
        epoch, replayed = whole.weights_at(n)
        assert epoch == n
        reference = alone.weights_at(n)[1]  # the final weights of a run that stopped at epoch n
        for a, b in zip(replayed.arrays(), reference.arrays(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(decode(replayed, z), decode(reference, z), rtol=1e-5, atol=1e-5)
    # And the replayed epochs differ from each other: the timeline shows the model changing.
    assert not np.allclose(decode(whole.weights_at(1)[1], z), decode(whole.weights_at(40)[1], z), atol=1e-3)


def test_a_speed_must_be_a_positive_number(x):
    job = TrainingJob(x, SMALL, TrainConfig(epochs=5, batch_size=64))
    with pytest.raises(ValueError, match="positive number"):
        job.set_speed(0.0)
    with pytest.raises(ValueError, match="positive number"):
        job.set_speed(float("nan"))


def collect(job: TrainingJob, enough, timeout: float = 120.0) -> list[dict]:
    """Poll ``job`` until ``enough(messages)``; fail after ``timeout`` s."""
    messages: list[dict] = []
    deadline = time.monotonic() + timeout
    while not enough(messages):
        assert time.monotonic() < deadline, f"timed out after {len(messages)} messages"
        time.sleep(0.05)
        messages += job.poll()
    return messages


def epochs_of(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["type"] == "epoch"]


def change_speed(job: TrainingJob, epochs_per_s: float | None, n_after: int) -> tuple[list[dict], list[dict]]:
    """Set the speed; return the epoch messages trained at the old pace after it was sent (the
    compiled call then running) and the first ``n_after`` epochs trained at the new one."""
    sent_at = time.monotonic()  # the same clock as the child's "at" stamps (one machine)
    assert job.set_speed(epochs_per_s)

    def enough(messages: list[dict]) -> bool:
        answer = [m for m in messages if m["type"] == "speed"]
        return (
            bool(answer)
            and sum(m["record"]["epoch"] > answer[0]["epoch"] for m in epochs_of(messages)) >= n_after
        )

    messages = collect(job, enough)
    (answer,) = [m for m in messages if m["type"] == "speed"]
    assert answer["epochs_per_s"] == epochs_per_s and job.speed_since == answer["epoch"] + 1
    old_pace = [
        m for m in epochs_of(messages) if m["record"]["epoch"] <= answer["epoch"] and m["at"] >= sent_at
    ]
    new_pace = [m for m in epochs_of(messages) if m["record"]["epoch"] > answer["epoch"]]
    return old_pace, new_pace[:n_after]


def rate(messages: list[dict]) -> float:
    """Epochs per second by the worker's own clock (the end of each epoch's compiled call)."""
    at = [m["at"] for m in messages]
    return (len(at) - 1) / (at[-1] - at[0])


def test_slow_motion_trains_a_few_epochs_per_second_and_full_speed_resumes(x):
    job = TrainingJob(x, SMALL, TrainConfig(epochs=100_000, until_paused=True, batch_size=64, seed=3))
    job.start()
    try:
        collect(job, lambda messages: len(epochs_of(messages)) >= 30)  # past the dense first epochs
        old_pace, slow = change_speed(job, 5.0, n_after=12)
        # Only the compiled call running when the change arrived finishes at full speed (one
        # call: its epochs share one stamp), then each epoch waits for its fifth of a second.
        assert len({m["at"] for m in old_pace}) <= 1
        assert 0.5 * 5.0 <= rate(slow) <= 1.1 * 5.0
        assert len({m["at"] for m in slow}) == len(slow)  # one epoch per call when slowed
        _, fast = change_speed(job, None, n_after=200)
        assert rate(fast) > 2 * 5.0
        assert len({m["at"] for m in fast}) < len(fast)  # tiny epochs fused again
        assert job.speed is None and job.speed_since == fast[0]["record"]["epoch"]
    finally:
        job.stop()
