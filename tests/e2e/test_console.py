"""A clean browser console through a whole session, and the pad's layer toggles.

The session a newcomer has: Home -> "Try it now" -> the default VAE trains ->
Explore -> drag the point -> hide the manifold grid and show it again -> a
short comparison on Compare -> leave Compare -> every page once (leaving
Explore and Compare again on the way). Chromium's console errors and uncaught
page errors are collected the whole time and none is allowed: a canvas drawn
while its element is leaving the page threw "The radius provided (-22.29) is
negative" on every page switch once.

The grid toggle is checked on the pixels: hiding the grid changes the data
panel's drawing, showing it again restores it exactly, and the choice is kept
when the user leaves Explore and comes back.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_for_app
from tests.e2e.test_explore import drag, exact_readout, pad_state, wait_for_readout
from tools.screenshots import PAGES, open_page, run_tour, z_to_px

pytestmark = pytest.mark.slow

TRAIN_TIMEOUT_MS = 240_000
COMPARE_EPOCHS = 3
GRID = ".ll-layers button[data-layer='manifold']"


def collect_errors(page: Page) -> list[str]:
    """Every console error and uncaught page error from now on (the list fills as they come)."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    return errors


def data_panel_pixels(page: Page) -> str:
    """The data panel's background canvas (data, manifold grid, prior samples) as a PNG data URL."""
    return page.locator(".ll-view canvas.ll-bg").first.evaluate("c => c.toDataURL()")


def wait_for_pixels(page: Page, check, timeout_ms: int = 30_000) -> str:
    waited = 0
    while waited < timeout_ms:
        pixels = data_panel_pixels(page)
        if check(pixels):
            return pixels
        page.wait_for_timeout(200)
        waited += 200
    raise AssertionError("the data panel's pixels did not change as expected")


def toggle_grid_off_and_on(page: Page) -> None:
    grid = page.locator(GRID).first
    expect(grid).to_have_attribute("aria-pressed", "true")
    with_grid = data_panel_pixels(page)
    grid.click()
    expect(grid).to_have_attribute("aria-pressed", "false")
    without_grid = wait_for_pixels(page, lambda p: p != with_grid)
    page.wait_for_timeout(1000)  # the toggle reruns the pad's fragment to remember the choice
    wait_for_app(page)
    # Kept after the rerun the toggle causes, and when the user leaves Explore and comes back.
    assert data_panel_pixels(page) == without_grid
    open_page(page, "learn")
    open_page(page, "explore")
    expect(page.locator(GRID).first).to_have_attribute("aria-pressed", "false")
    wait_for_pixels(page, lambda p: p == without_grid)
    page.locator(GRID).first.click()
    expect(page.locator(GRID).first).to_have_attribute("aria-pressed", "true")
    wait_for_pixels(page, lambda p: p == with_grid)


def short_comparison(page: Page) -> None:
    open_page(page, "compare")
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill(str(COMPARE_EPOCHS))  # no Enter: in a form, Enter submits it
    page.get_by_role("button", name=re.compile("Train the ticked models")).click()
    expect(page.locator(".st-key-ll-compare-metrics")).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    wait_for_app(page)
    expect(page.locator("[class*='st-key-ll-compare-pad-'] .ll-pad canvas").first).to_be_visible()


def test_no_console_errors_through_the_tour_and_every_page(app_url, page):
    errors = collect_errors(page)
    run_tour(page, app_url)
    # The tab's icon is the bundled SVG, inlined: no request, and no emoji font needed to draw it.
    icons = page.eval_on_selector_all("link[rel~='icon']", "links => links.map(link => link.href)")
    assert icons and all(href.startswith("data:image/svg+xml;base64,") for href in icons), icons

    # A drag on the pad.
    canvas = page.locator(".ll-latent canvas.ll-fg").first
    canvas.scroll_into_view_if_needed()
    before = exact_readout(page)
    box, limit = canvas.bounding_box(), pad_state(page)["limit"]
    drag(page, z_to_px(box, limit, *before["z"]), z_to_px(box, limit, 1.0, -0.5))
    wait_for_readout(page, before)

    toggle_grid_off_and_on(page)

    short_comparison(page)
    for name in PAGES:  # leaves Compare first, then Explore on the way
        open_page(page, name)
        page.wait_for_timeout(500)  # a late redraw of a leaving canvas would land here
    open_page(page, "explore")
    open_page(page, "compare")
    open_page(page, "home")
    page.wait_for_timeout(1000)

    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert errors == [], "\n".join(errors)
