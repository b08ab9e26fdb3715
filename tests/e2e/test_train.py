"""Train from the browser: the live view advances and stays put (wide and narrow), and closing the tab ends the worker."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import busy_workers_of, new_context, wait_for_app, workers_of
from tests.e2e.live_view import assert_live_view_steady, epoch_shown, start_long_run, wait_for_epochs


def _server_pid(app_url: str) -> int:
    port = app_url.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--server.port" in args and port.encode() in args:  # python -m vae app or streamlit run
            return int(proc.name)
    raise AssertionError(f"no streamlit server on port {port}")


def test_training_advances_live_and_closing_the_tab_ends_the_worker(app_url, browser):
    context = new_context(browser)
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
    assert len(busy_workers_of(server)) == 1
    expect(page.locator("[data-testid='stException']")).to_have_count(0)

    # Closing the tab (the websocket goes away) ends this session's job (within a few seconds on a
    # quiet machine: allow for a busy one); its process goes back to the warm pool (which never
    # holds more than the cap).
    context.close()
    deadline = time.monotonic() + 60
    while busy_workers_of(server) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert busy_workers_of(server) == []
    assert len(workers_of(server)) <= 2


EPOCH_OF = re.compile(r"Epoch (\d+) / (\d+)")


def test_pause_holds_the_epoch_and_continue_goes_on_from_it(app_url, page):
    start_long_run(page, app_url)
    wait_for_epochs(page, 20)
    # Generous timeouts: on a loaded 2-core machine Chromium's main thread lags by seconds, so
    # the click itself may arrive late (latency is benchmarked, not tested).
    page.get_by_role("button", name="Pause", exact=True).click(timeout=60_000)
    wait_for_app(page)
    progress = page.locator("[data-testid='stProgress']").first
    expect(progress).to_contain_text("Paused", timeout=60_000)
    time.sleep(0.5)  # the worker has stopped well before this (benchmarked: <= 0.3 s)
    held = epoch_shown(page)
    label = progress.inner_text()
    time.sleep(2.0)  # the fragment redraws ~6 times meanwhile
    assert epoch_shown(page) == held and progress.inner_text() == label  # the epoch and ETA hold
    assert held >= 20

    # Stop, then Continue: the same model trains on from the held epoch, on the same charts.
    page.get_by_role("button", name="Stop", exact=True).click(timeout=60_000)
    expect(progress).to_contain_text("Stopped", timeout=60_000)
    assert epoch_shown(page) == held
    page.get_by_role("button", name="Continue", exact=True).click(timeout=60_000)
    deadline = time.monotonic() + 60
    while epoch_shown(page) <= held and time.monotonic() < deadline:
        time.sleep(0.2)
    match = EPOCH_OF.search(progress.inner_text())
    assert match and int(match.group(1)) > held, progress.inner_text()
    assert int(match.group(2)) == held + 5000  # another budget of 5,000 epochs on top
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    page.get_by_role("button", name="Stop", exact=True).click()
    wait_for_app(page)
