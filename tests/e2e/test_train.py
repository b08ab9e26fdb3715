"""Train from the browser: the live view advances while training, and closing the tab ends the worker."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app, workers_of
from tests.e2e.steadiness import assert_live_view_steady

EPOCH = re.compile(r"Epoch (\d+) / 5000")  # long enough to still run when the tab closes


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


def _epoch(page) -> int:
    text = page.locator("[data-testid='stProgress']").first.inner_text()
    match = EPOCH.search(text)
    return int(match.group(1)) if match else 0


def test_training_advances_live_and_closing_the_tab_ends_the_worker(app_url, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{app_url}/train")
    wait_for_app(page)
    page.get_by_role("button", name="Use two moons").click()
    wait_for_app(page)
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill("5000")
    epochs.press("Enter")
    wait_for_app(page)
    start = page.get_by_role("button", name="Start")
    expect(start).to_be_enabled()
    start.click()

    # The fragment polls the worker: the progress label reaches an epoch, then moves on.
    expect(page.locator("[data-testid='stProgress']").first).to_contain_text(EPOCH, timeout=120_000)
    first = _epoch(page)
    deadline = time.monotonic() + 30
    while _epoch(page) <= first and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _epoch(page) > first
    # The loss chart has drawn a curve.
    curve = page.locator(".st-key-train_charts .scatterlayer .trace path.js-line").first
    expect(curve).to_have_attribute("d", re.compile(r"^M.+L"))
    assert_live_view_steady(page)  # and nothing jumps or fades as it redraws
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
