"""Explore in a real browser: click a data point, see its true posterior p(z|x) drawn on the pad.

Train the default model through the UI, click an encoded data point on the
latent pad, and wait for Python to send that point's true posterior (computed
on a grid by vae/core/exact.py). The pad's canvas must then hold vermillion heat-map
pixels that go away when the "true posterior" toggle is switched off and come
back, pixel for pixel, when it is switched on again; the page prints the exact
log p(x) and the gap beside it. What must not happen: an exception box, or the
heat map on the pad before any point is clicked.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_for_app
from tests.e2e.test_explore import train_default_model
from tools.screenshots import z_to_px
from vae.ui import palette

pytestmark = pytest.mark.slow

CANVAS = ".ll-latent canvas.ll-fg"
TOGGLE = ".ll-layers button[data-layer='true_posterior']"

# Counts the canvas pixels in the true posterior's colour (vermillion, blended at any opacity:
# the foreground canvas is transparent, so a pixel keeps the colour and carries the opacity).
COUNT_TRUTH_PIXELS = """(el, hex) => {
  const c = el.querySelector("canvas.ll-fg");
  const rgb = parseInt(hex.slice(1), 16), r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
  const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let k = 0; k < px.length; k += 4) {
    if (px[k + 3] > 20 && Math.abs(px[k] - r) < 24 && Math.abs(px[k + 1] - g) < 24 && Math.abs(px[k + 2] - b) < 24) n++;
  }
  return n;
}"""


def truth_pixels(page: Page) -> int:
    return page.locator(".ll-latent").first.evaluate(COUNT_TRUTH_PIXELS, palette.TRUE_POSTERIOR)


def settle_on(page: Page, read, accept, timeout_ms: float = 30_000):
    """Read until ``accept(value)`` (the pad redraws on the next animation frame, a rerun may follow)."""
    value = read()
    for _ in range(int(timeout_ms / 200)):
        if accept(value):
            return value
        page.wait_for_timeout(200)
        value = read()
    raise AssertionError(f"the pad's canvas did not settle: last value {value!r}")


def canvas_bytes(page: Page) -> str:
    return page.locator(CANVAS).first.evaluate("c => c.toDataURL()")


def click_a_data_point(page: Page) -> int:
    """Click an encoded mean about 1.5 prior sigmas out (clear of the draggable point at the
    origin); return the dataset row the pad selected."""
    pad = page.locator(".ll-pad").first.evaluate(
        "el => ({means: el.__llPad.data.means, limit: el.__llPad.data.limit})"
    )
    index = min(range(len(pad["means"])), key=lambda i: abs(sum(v * v for v in pad["means"][i]) - 2.25))
    box = page.locator(CANVAS).first.bounding_box()
    page.mouse.click(*z_to_px(box, pad["limit"], *pad["means"][index]))
    row = page.locator(".ll-pad").first.evaluate(
        "el => el.__llPad.selected === null ? null : el.__llPad.data.rows[el.__llPad.selected]"
    )
    assert row is not None, "the click selected no data point"
    return row


def wait_for_truth(page: Page, row: int, timeout_ms: float = 60_000) -> None:
    """Until Python has sent the true posterior of ``row`` and the pad has it selected."""
    has_truth = """(el, row) => { const S = el.__llPad; const t = S && S.data.true_posterior;
        return Boolean(t && t.row === row && S.selected !== null && S.data.rows[S.selected] === row); }"""
    for _ in range(int(timeout_ms / 250)):
        if page.locator(".ll-pad").first.evaluate(has_truth, row):
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the pad never received the true posterior of row {row}")


def test_a_clicked_point_shows_its_true_posterior_layer(app_url, page):
    train_default_model(page, app_url)
    expect(page.locator(CANVAS).first).to_be_visible()
    expect(page.locator(TOGGLE).first).to_have_attribute("aria-pressed", "true")
    assert truth_pixels(page) == 0  # nothing clicked: no heat map

    row = click_a_data_point(page)
    wait_for_truth(page, row)
    wait_for_app(page)
    expect(page.get_by_text(f"Data point #{row}")).to_be_visible()
    expect(page.get_by_text("log p(x), exact")).to_be_visible()
    expect(page.get_by_text("Gap = KL(q ‖ p(z|x))")).to_be_visible()
    with_layer = settle_on(page, lambda: truth_pixels(page), lambda n: n > 30)
    drawn = canvas_bytes(page)

    page.locator(TOGGLE).first.click()
    expect(page.locator(TOGGLE).first).to_have_attribute("aria-pressed", "false")
    settle_on(page, lambda: truth_pixels(page), lambda n: n < with_layer / 20)
    assert canvas_bytes(page) != drawn

    page.locator(TOGGLE).first.click()
    expect(page.locator(TOGGLE).first).to_have_attribute("aria-pressed", "true")
    wait_for_app(page)
    settle_on(page, lambda: truth_pixels(page), lambda n: n == with_layer)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
