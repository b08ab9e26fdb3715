"""The first-run tour in a real browser: nothing -> Home -> "Try it now" -> live training -> Explore -> drag.

A newcomer should get from a fresh session to dragging a latent point with one
click and no README. Checked on the way: the Train page shows live progress
(the epoch advances) and the shared sidebar follows the run while it trains;
the finished run hands over to Explore on its own; a mouse drag on the pad
changes Python's readout. What must NOT happen: an exception box on any page
of the tour, or a second training process for the one session.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, busy_workers_of, wait_for_app
from tests.e2e.test_explore import drag, exact_readout, pad_state, wait_for_readout, z_to_px
from tests.e2e.test_train import _server_pid

pytestmark = pytest.mark.slow

EPOCH = re.compile(r"Epoch (\d+) / (\d+)")
TRAIN_TIMEOUT_MS = 240_000
FAILURE = ROOT / "artifacts" / "screens" / "tour-failure.png"


def _no_exception(page) -> None:
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def test_try_it_now_reaches_a_dragged_point(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text("Dataset: none yet")).to_be_visible()
    _no_exception(page)

    page.get_by_role("button", name=re.compile("Try it now")).click()

    # Train: the run starts by itself and the progress label advances, live.
    expect(page).to_have_url(re.compile(r"/train(\?|$)"), timeout=60_000)
    progress = page.locator("[data-testid='stProgress']").first
    expect(progress).to_contain_text(EPOCH, timeout=120_000)
    seen = {int(EPOCH.search(progress.inner_text()).group(1))}
    server = _server_pid(app_url)
    workers = set()
    deadline = time.monotonic() + 60
    while len(seen) < 2 and time.monotonic() < deadline and "/train" in page.url:
        workers.update(busy_workers_of(server))
        match = EPOCH.search(progress.inner_text()) if progress.count() else None
        if match:
            seen.add(int(match.group(1)))
        time.sleep(0.2)
    assert len(seen) >= 2, f"the epoch did not advance on the Train page: {seen}"
    # The sidebar follows the run while it trains (or already says it finished).
    expect(sidebar.get_by_text(re.compile(r"Model: VAE · (training · epoch [1-9]|finished)"))).to_be_visible()
    # What must not happen: a second busy worker for this one session (the pool's idle ones wait).
    assert len(workers) <= 1, f"more than one training process: {workers}"

    # Explore: the finished run hands over without a click.
    expect(page).to_have_url(re.compile(r"/explore(\?|$)"), timeout=TRAIN_TIMEOUT_MS)
    wait_for_app(page)
    expect(sidebar.get_by_text(re.compile(r"Model: VAE · finished"))).to_be_visible()
    canvas = page.locator(".ll-latent canvas.ll-fg").first
    try:
        expect(canvas).to_be_visible(timeout=30_000)
    except AssertionError:
        FAILURE.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(FAILURE), full_page=True)
        raise
    _no_exception(page)

    # Drag the point with the mouse: the readout Python prints changes.
    before = exact_readout(page)
    box = canvas.bounding_box()
    limit = pad_state(page)["limit"]
    drag(page, z_to_px(box, limit, *before["z"]), z_to_px(box, limit, -1.0, 1.0))
    after = wait_for_readout(page, before)
    assert after["x"] != before["x"]
    assert abs(after["z"][0] + 1.0) < 0.05 and abs(after["z"][1] - 1.0) < 0.05

    # The keyboard moves it too: Shift+Right is a big step (0.5), Up a small one (0.05).
    canvas.focus()
    page.keyboard.press("Shift+ArrowRight")
    keyed = wait_for_readout(page, after)
    assert abs(keyed["z"][0] - (after["z"][0] + 0.5)) < 1e-6 and keyed["z"][1] == after["z"][1]
    page.keyboard.press("ArrowUp")
    stepped = wait_for_readout(page, keyed)
    assert abs(stepped["z"][1] - (keyed["z"][1] + 0.05)) < 1e-6 and stepped["z"][0] == keyed["z"][0]

    # What must not happen, at the end either: an exception box, or a worker left training
    # (the warm pool's idle processes stay, waiting for the next Start).
    _no_exception(page)
    assert len(busy_workers_of(server)) == 0
