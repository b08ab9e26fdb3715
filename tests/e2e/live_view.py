"""Browser-test helpers for the Train page's live view: start a long run, and check it stays put.

``assert_live_view_steady``: while a run trains, the live view redraws about three times a second.
Chromium's Layout Instability API reports every unexpected layout shift; the
check also samples where the charts and the progress bar are, and whether
either fades (Streamlit dims stale elements during a full rerun), ten times
over two seconds (longer if the shown epoch has not moved by then). Used by
test_train.py (a wide window, then a narrow one).
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

EPOCH = re.compile(r"Epoch (\d+) / \d+")
WATCH_MOST = 150  # samples (30 s) at most, waiting for the shown epoch to move

WATCH_SHIFTS = """() => {
  window.__llShifts = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (!e.hadRecentInput) window.__llShifts.push({value: e.value,
        sources: (e.sources || []).map((s) => (s.node && (s.node.getAttribute?.('data-testid') || s.node.className || s.node.nodeName)) + '')});
    }
  }).observe({type: 'layout-shift'});
}"""

# The live view's parts: where they are and how opaque they look right now.
SAMPLE = """() => {
  const out = {};
  const parts = {charts: '.st-key-train_charts', progress: '[data-testid="stProgress"]'};
  for (const [name, selector] of Object.entries(parts)) {
    const e = document.querySelector(selector);
    if (!e) { out[name] = null; continue; }
    const r = e.getBoundingClientRect();
    let opacity = 1;
    for (let n = e; n && n.nodeType === 1; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
    out[name] = {y: Math.round(r.y + window.scrollY), h: Math.round(r.height), w: Math.round(r.width), opacity};
  }
  return out;
}"""


def epoch_shown(page) -> int:
    """The epoch the progress bar shows (0 before the first)."""
    match = EPOCH.search(page.locator("[data-testid='stProgress']").first.inner_text())
    return int(match.group(1)) if match else 0


def start_long_run(page, app_url: str) -> None:
    """Open Train, use two moons, start 5,000 epochs and wait until the progress bar counts them."""
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
    expect(page.locator("[data-testid='stProgress']").first).to_contain_text(EPOCH, timeout=120_000)


def wait_for_epochs(page, n: int, timeout: float = 30.0) -> None:
    """Wait until the progress bar shows ``n`` epochs more than now."""
    target = epoch_shown(page) + n
    deadline = time.monotonic() + timeout
    while epoch_shown(page) < target and time.monotonic() < deadline:
        time.sleep(0.2)
    assert epoch_shown(page) >= target, f"training did not reach epoch {target} within {timeout:g} s"


def assert_live_view_steady(page) -> None:
    """Watch a Train page that is training; fail on any layout shift, move, vanishing or fading."""
    page.locator(".st-key-train_charts").scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    page.wait_for_timeout(1000)  # the first charts and panel have drawn

    page.evaluate(WATCH_SHIFTS)
    start_epoch = epoch_shown(page)
    samples = []
    # Ten samples over two seconds, and on until the shown epoch has moved (a busy machine trains
    # and redraws more slowly): the samples must span live redraws.
    while len(samples) < 10 or (epoch_shown(page) <= start_epoch and len(samples) < WATCH_MOST):
        samples.append(page.evaluate(SAMPLE))
        page.wait_for_timeout(200)
    shifts = page.evaluate("window.__llShifts")
    assert epoch_shown(page) > start_epoch, "training did not advance while watched"

    assert sum(s["value"] for s in shifts) < 0.01, shifts
    for part in ("charts", "progress"):
        seen = [s[part] for s in samples]
        assert all(seen), f"{part} vanished during a redraw: {seen}"
        for key in ("y", "h", "w"):
            values = [s[key] for s in seen]
            assert max(values) - min(values) <= 2, f"{part} {key} moved: {values}"
        assert min(s["opacity"] for s in seen) > 0.9, f"{part} faded: {seen}"
