"""Pause, Step and Resume clicked while the browser is busy do what they say, once.

Streamlit's browser side sends a button's click in a ``setTimeout(0)``; when the browser is busy,
the live view's poll timer (every 0.25 s) falls due first and sends every widget state it holds,
the pending click too. Each of those runs called the button's callback: one Step trained two or
three epochs (the latency benchmark once read "Paused · Epoch 337", pressed Step and saw 339), and
one Pause paused and resumed. The test holds Streamlit's ``setTimeout(0)`` back 0.8 s (three poll ticks), as a busy
browser does, so the poll timer fires first every time.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

PROGRESS = "[data-testid='stProgress']"
EPOCH = re.compile(r"Epoch (\d+)")

# Click the button of this key as a busy browser does: the click's own message leaves 0.8 s late.
BUSY_CLICK = """(key) => {
  const real = window.setTimeout;
  window.setTimeout = (f, ms, ...rest) => {
    window.setTimeout = real;
    return real(f, ms === 0 ? 800 : ms, ...rest);
  };
  document.querySelector(`.st-key-${key} button`).click();
}"""


def shown(page) -> str:
    return page.locator(PROGRESS).first.inner_text()


def epoch(page) -> int:
    return int(EPOCH.search(shown(page)).group(1))


def busy_click(page, key: str) -> None:
    page.evaluate(BUSY_CLICK, key)
    time.sleep(2.0)  # every poll that could have sent the click again has run
    wait_for_app(page)


def test_busy_clicks_on_pause_step_and_resume_act_once(app_url, page):
    page.goto(f"{app_url}/train")
    wait_for_app(page)
    page.get_by_role("button", name="Use two moons").click()
    wait_for_app(page)
    page.locator(".st-key-tr_until_paused label").first.click()
    wait_for_app(page)
    page.get_by_role("button", name="Start").click()
    expect(page.locator(PROGRESS).first).to_contain_text("until you pause", timeout=120_000)
    expect(page.locator(PROGRESS).first).to_contain_text(re.compile(r"Epoch [1-9]"), timeout=120_000)

    busy_click(page, "tr_pause")
    expect(page.locator(PROGRESS).first).to_contain_text(re.compile(r"^Paused ·"))  # not paused and resumed
    held = epoch(page)
    time.sleep(0.5)
    assert epoch(page) == held  # it holds
    for _ in range(3):
        busy_click(page, "tr_step")
        expect(page.locator(PROGRESS).first).to_contain_text(re.compile(rf"^Paused · Epoch {held + 1}\b"))
        held += 1

    busy_click(page, "tr_pause")  # Resume: it trains on (a second delivery would pause it again)
    assert not shown(page).startswith("Paus"), shown(page)
    moved = epoch(page)
    expect(page.locator(PROGRESS).first).not_to_contain_text(re.compile(rf"Epoch {moved}\b"))
    page.get_by_role("button", name="Stop", exact=True).click()
    wait_for_app(page)
