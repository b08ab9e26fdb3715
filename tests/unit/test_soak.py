"""Soak (bench.load.bench_soak): consecutive trainings leave no file descriptors, children or zombies.

Memory is reported by ``python -m vae bench``, not asserted (each run is its
own process, so the parent's RSS is what matters, and it is noisy).
"""

from __future__ import annotations

import pytest

from bench.load import bench_soak, child_processes, open_fds

pytestmark = pytest.mark.slow


def test_trainings_in_a_row_return_to_baseline():
    earlier = set(child_processes()["alive"])
    result = bench_soak(n=3, epochs=2, n_samples=256, jit_compile=False)
    assert result["runs"] == 3 and result["completed"] == 3
    # No leak: a run may let go of descriptors and processes held from earlier work (a process
    # of an earlier test may still be exiting on a busy machine), never keep new ones.
    assert result["fds_after"] <= result["fds_before"]
    assert result["children_after"] <= result["children_before"]
    assert set(child_processes()["alive"]) <= earlier
    assert result["zombies_after"] == 0
    assert result["mp_children_after"] == 0
    assert result["active_jobs_after"] == 0
    assert len(result["rss_mib_trace"]) == 3
    assert child_processes()["zombies"] == []
    assert open_fds() <= result["fds_after"]
