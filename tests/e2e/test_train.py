"""Train from the browser: the live view advances and stays put (wide and narrow), and closing the tab ends the worker."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import workers_of
from tests.e2e.live_view import assert_live_view_steady, start_long_run, wait_for_epochs


def _server_pid(app_url: str) -> int:
    port = app_url.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and port.encode() in args:
            return int(proc.name)
    raise AssertionError(f"no streamlit server on port {port}")


def test_training_advances_live_and_closing_the_tab_ends_the_worker(app_url, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    # The fragment polls the worker: the progress label reaches an epoch, then moves on.
    start_long_run(page, app_url)
    wait_for_epochs(page, 1)
    # The loss chart has painted its canvas, more than once (it redraws in place).
    canvas = page.locator(".st-key-train_charts canvas").first
    expect(canvas).to_have_attribute("data-drawn", re.compile(r"^([2-9]|\d\d+)$"))
    assert_live_view_steady(page)  # and nothing jumps or fades as it redraws
    # The same in a narrow window (a phone, a split screen), which must not scroll sideways either.
    page.set_viewport_size({"width": 600, "height": 900})
    assert_live_view_steady(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # What must not happen: a second job (Start is disabled while training), or an exception.
    server = _server_pid(app_url)
    expect(page.get_by_role("button", name="Start")).to_be_disabled()
    assert len(workers_of(server)) == 1
    expect(page.locator("[data-testid='stException']")).to_have_count(0)

    # Closing the tab (the websocket goes away) ends this session's worker within a few seconds.
    context.close()
    deadline = time.monotonic() + 8
    while workers_of(server) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert workers_of(server) == []
