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


def _stroke(page, box, y: float, x0: float = 0.2, x1: float = 0.8) -> None:
    page.mouse.move(box["x"] + box["width"] * x0, box["y"] + box["height"] * y)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(box["x"] + box["width"] * (x0 + (x1 - x0) * i / 20), box["y"] + box["height"] * y)
    page.mouse.up()
    wait_for_app(page)


def test_two_classes_drawn_in_two_colours_become_labels_and_undo_takes_one_back(app_url, page):
    canvas = open_draw_canvas(page, app_url)
    box = canvas.bounding_box()
    _stroke(page, box, 0.35)  # class 0 (the default)
    page.locator(".st-key-data_draw_class").get_by_text("1 · gold").click()
    wait_for_app(page)
    status = page.locator(".ll-draw-status")
    # The canvas hears of the new class with the rerun's data, which can land after the script
    # finished: a stroke before that paints class 0 (as a user's would), so wait for it.
    expect(status).to_contain_text("drawing class 1")
    _stroke(page, box, 0.65)
    expect(status).to_contain_text(re.compile(r"class 0: [1-9][\d,]*, class 1: [1-9][\d,]*"))
    # The dots are drawn in the class colours (purple, then gold) where the strokes went.
    colours = canvas.evaluate(
        """(c, [y0, y1]) => {
          const ctx = c.getContext('2d');
          const row = (f) => { const d = ctx.getImageData(0, Math.round(c.height * f), c.width, 1).data;
            let best = null; for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && (d[i] > 150 || d[i + 2] > 150)
              && Math.abs(d[i] - d[i + 2]) > 60) { best = [d[i], d[i + 1], d[i + 2]]; break; } return best; };
          return [row(y0), row(y1)];
        }""",
        [0.35, 0.65],
    )
    purple, gold = colours
    assert purple is not None and purple[2] > purple[1], colours  # #6C4BD8: blue over green
    assert gold is not None and gold[0] > gold[2], colours  # #C99A06: red over blue
    page.get_by_role("button", name=re.compile("Use this drawing")).click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"Active dataset: drawing"))).to_be_visible()
    page.get_by_role("button", name=re.compile("Undo")).click()
    wait_for_app(page)
    expect(status).not_to_contain_text("class 1:")
    if os.environ.get("LL_SHOTS"):
        page.screenshot(path=os.path.join(os.environ["LL_SHOTS"], "data-draw-classes.png"), full_page=True)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
