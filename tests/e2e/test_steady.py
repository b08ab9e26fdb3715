"""Nothing jumps, flickers or scrolls sideways while training in a narrow (600 px) window."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app
from tests.e2e.steadiness import EPOCH, assert_live_view_steady, epoch_shown


def test_the_live_view_stays_put_in_a_narrow_window(app_url, browser):
    context = browser.new_context(viewport={"width": 600, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/train")
        wait_for_app(page)
        page.get_by_role("button", name="Use two moons").click()
        wait_for_app(page)
        epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
        epochs.fill("5000")
        epochs.press("Enter")
        wait_for_app(page)
        page.get_by_role("button", name="Start").click()
        expect(page.locator("[data-testid='stProgress']").first).to_contain_text(EPOCH, timeout=120_000)
        first = epoch_shown(page)
        deadline = time.monotonic() + 30
        while epoch_shown(page) <= first + 5 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert_live_view_steady(page)
        # What a narrow window must not do: scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.get_by_role("button", name="Stop", exact=True).click()
        expect(page.get_by_text(re.compile("Stopped by you"))).to_be_visible(timeout=20_000)
    finally:
        context.close()
