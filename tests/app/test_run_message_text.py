"""A run's message (from the worker or from a loaded bundle) is shown as text, never as Markdown.

A bundle's message ``![x](http://attacker.example/p.png)`` rendered as Markdown
would make the browser fetch that address: Train (every status that shows the
message) and Explore must escape it.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.app.test_other_width import moons_run
from vae.config import DataConfig
from vae.data.presets import generate
from vae.ui import state

IMAGE = "![x](http://attacker.example/p.png)"


def open_with(app_test, page: str, status: str, nan_weights: bool = False):
    run = moons_run(status=status)
    run.message = f"Loaded from a bundle. {IMAGE}"
    if nan_weights:
        run.weights.x_mean[0][0, 0] = np.nan
    at = app_test("app.py", default_timeout=60)
    at.session_state[state.DATASET] = generate(DataConfig(n_samples=200))
    at.session_state[state.RUN] = run
    at.run()
    return at.switch_page(page).run()


def shown(at) -> list[str]:
    return [e.value for kind in ("success", "error", "warning", "info") for e in getattr(at, kind)]


@pytest.mark.parametrize(
    ("page", "status", "nan_weights"),
    [
        ("pages/train.py", "finished", False),
        ("pages/train.py", "diverged", False),
        ("pages/train.py", "failed", False),
        ("pages/train.py", "stopped", False),
        ("pages/explore.py", "diverged", False),
        ("pages/explore.py", "diverged", True),
    ],
)
def test_an_image_link_in_a_run_message_is_escaped(app_test, page, status, nan_weights):
    at = open_with(app_test, page, status, nan_weights)
    assert not at.exception
    with_message = [text for text in shown(at) if "attacker" in text]
    assert with_message, shown(at)
    for text in with_message:
        assert IMAGE not in text  # no live Markdown image
        assert "\\!\\[x\\]" in text  # the same characters, escaped
