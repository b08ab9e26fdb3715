"""Browser test of the Data page's drawing canvas: dragging the mouse adds points Python can use."""

from __future__ import annotations

import os
import re

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app


def open_draw_canvas(page, app_url: str):
    """Open the Data page's Draw tab; the canvas, visible."""
    page.goto(f"{app_url}/data")
    wait_for_app(page)
    page.get_by_role("tab", name=re.compile("Draw")).click()
    canvas = page.locator("canvas.ll-draw-canvas")
    expect(canvas).to_be_visible()
    return canvas


def test_drawing_on_the_canvas_adds_points_and_uses_them(app_url, page):
    canvas = open_draw_canvas(page, app_url)
    box = canvas.bounding_box()
    assert box and box["width"] > 100
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    for i in range(1, 21):  # a stroke across the middle of the canvas
        page.mouse.move(
            box["x"] + box["width"] * (0.2 + 0.03 * i), box["y"] + box["height"] * (0.5 - 0.01 * i)
        )
    page.mouse.up()
    wait_for_app(page)
    status = page.locator(".ll-draw-status")
    expect(status).to_contain_text("points")
    drawn = int(re.search(r"([\d,]+) points", status.inner_text()).group(1).replace(",", ""))
    assert drawn >= 20
    metric = page.locator("[data-testid='stMetricValue']").first
    expect(metric).to_have_text(f"{drawn:,}")  # Python received exactly what the canvas shows
    use = page.get_by_role("button", name=re.compile("Use this drawing"))
    expect(use).to_be_enabled()
    use.click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(rf"Active dataset: drawing.*{drawn:,} rows"))).to_be_visible()
    if os.environ.get("LL_SHOTS"):
        page.screenshot(path=os.path.join(os.environ["LL_SHOTS"], "data-draw.png"), full_page=True)
    # What must not happen: an exception box, or the canvas losing the points after the rerun.
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    expect(status).to_contain_text(f"{drawn:,} points")
