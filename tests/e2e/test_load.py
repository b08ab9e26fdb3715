"""Four browser sessions at once (vae.bench_load.bench_sessions): all finish, none sees another's data.

Correctness only: the interaction times it measures are reported by
``python -m vae bench``, never asserted here (the machine is shared).
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CHROMIUM, in_own_thread
from vae.bench_load import PRESETS, bench_sessions
from vae.data import PRESETS as SPECS

pytestmark = pytest.mark.slow


def test_four_sessions_at_once_all_finish_in_isolation():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found (apt-get install -y chromium)")
    result = in_own_thread(bench_sessions, n=4, epochs=5)
    assert result["sessions"] == 4
    sessions = result["per_session"]
    assert list(sessions) == list(PRESETS[:4])
    assert all(s["finished"] for s in sessions.values()), sessions
    assert result["all_finished"] is True
    # Isolation: each sidebar names its own dataset and none of the others'.
    assert result["isolated"] is True
    for name, s in sessions.items():
        assert f"Dataset: {SPECS[name].title}" in s["sidebar"]
        others = [SPECS[o].title for o in sessions if o != name]
        assert not any(f"Dataset: {t}" in s["sidebar"] for t in others)
        assert "epoch 5" in s["sidebar"]  # its own run of its own settings
    assert result["page_errors"] == 0
    # Every session's clicks were measured (a click whose run did not end in 120 s is listed in
    # result["timeouts"] instead: reported by the benchmark, not asserted), and the slowest is reported.
    for name in PRESETS[:4]:
        measured = {i["what"] for i in result["interactions"] if i["session"] == name}
        assert len(measured) + sum(t.startswith(f"{name}:") for t in result["timeouts"]) >= 3
    assert result["slowest_ms"] == max(i["ms"] for i in result["interactions"]) > 0
