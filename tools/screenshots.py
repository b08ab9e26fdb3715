#!/usr/bin/env python3
"""Screenshots of every page, in the light and the dark theme, for the README (and for review).

    python tools/screenshots.py                 # -> docs/screenshots/<page>.png, <page>-dark.png, drag-NN.png
    python tools/screenshots.py --out artifacts/screens --themes light

For each theme it starts ``python -m vae app`` on a free port (dark:
``--theme.base dark``), opens it in headless Chromium (Debian's, at
/usr/bin/chromium, driven by Playwright), runs Home's "Try it now" tour so the
pages show a trained model, then opens every page from the sidebar and saves a
full-page PNG. In the light theme it also saves six frames of a drag on the
latent pad (drag-01.png ... drag-06.png) and, if Pillow is installed, drag.gif.
It prints one line per file with the number of exception boxes on that page,
and exits non-zero if any page showed one.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python tools/screenshots.py` from anywhere can import vae

from bench.appserver import APP_READY, chromium, new_context, start_server, stop_server  # noqa: E402

PAGES = ("home", "data", "train", "explore", "compare", "learn", "runs")  # sidebar order
MARGIN = {"l": 40, "r": 12, "t": 12, "b": 34}  # the latent pad's plot margins (pad.js), CSS pixels
DRAG_FRAMES = 6


@contextlib.contextmanager
def serve(theme: str = "light", timeout: float = 90.0) -> Iterator[str]:
    """Run the app on a free port in its own process group; yield its URL; stop it on exit."""
    process, url = start_server(*(["--theme.base", "dark"] if theme == "dark" else []), timeout=timeout)
    try:
        yield url
    finally:
        stop_server(process)


def settle(page, pause_ms: int = 600) -> None:
    """Wait until the script run is over and charts have drawn."""
    page.wait_for_selector(APP_READY, timeout=120_000)
    page.wait_for_timeout(pause_ms)
    page.wait_for_selector(APP_READY, timeout=120_000)


def run_tour(page, url: str, timeout_ms: int = 300_000) -> None:
    """Home -> "Try it now" -> the default model trains -> Explore shows its latent pad."""
    page.goto(url)
    settle(page)
    page.get_by_role("button", name=re.compile("Try it now")).click()
    page.wait_for_url(re.compile(r"/explore(\?|$)"), timeout=timeout_ms)
    page.locator(".ll-latent canvas.ll-fg").first.wait_for(state="visible", timeout=60_000)
    settle(page)


def open_page(page, name: str) -> None:
    """Open a page from the sidebar navigation (client-side, so the session is kept)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    nav = page.locator("[data-testid='stSidebarNav'] a")
    for i in range(nav.count()):
        link = nav.nth(i)
        path = urlsplit(link.get_attribute("href") or "").path.rstrip("/")
        if (name == "home" and i == 0) or path.endswith("/" + name):
            # The address changes when the server starts the new page, late on a busy machine:
            # "notRunning" before that is still the old page. A click that lands in a polling
            # fragment's rerun can be lost (Streamlit 1.67): then click again, as a user would.
            for attempt in (1, 2):
                link.click()
                try:
                    page.wait_for_url(
                        lambda url, path=path: urlsplit(url).path.rstrip("/") == path, timeout=60_000
                    )
                    break
                except PlaywrightTimeout:
                    if attempt == 2:
                        raise
            settle(page)
            return
    raise LookupError(f"no sidebar link to {name!r}")


def exceptions(page) -> int:
    return page.locator("[data-testid='stException']").count()


def shoot_pages(page, out: Path, suffix: str = "") -> dict[str, int]:
    """Every page to ``out/<page><suffix>.png``; returns exception boxes per file name."""
    out.mkdir(parents=True, exist_ok=True)
    found = {}
    for name in PAGES:
        open_page(page, name)
        path = out / f"{name}{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        found[path.name] = exceptions(page)
    return found


def z_to_px(box: dict, limit: float, z1: float, z2: float) -> tuple[float, float]:
    """Page pixel of latent point (z1, z2) on a pad whose canvas box is ``box`` and half-range ``limit``."""
    pw = box["width"] - MARGIN["l"] - MARGIN["r"]
    ph = box["height"] - MARGIN["t"] - MARGIN["b"]
    return (
        box["x"] + MARGIN["l"] + (z1 + limit) / (2 * limit) * pw,
        box["y"] + MARGIN["t"] + (limit - z2) / (2 * limit) * ph,
    )


def shoot_drag(page, out: Path, frames: int = DRAG_FRAMES) -> list[Path]:
    """Drag the latent point along an arc on Explore; one PNG of the pad per stop (+ a GIF with Pillow)."""
    open_page(page, "explore")
    canvas = page.locator(".ll-latent canvas.ll-fg").first
    pad = page.locator(".ll-pad").first
    pad.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    limit = pad.evaluate("el => el.__llPad.data.limit")
    z = pad.evaluate("el => el.__llPad.z")
    page.mouse.move(*z_to_px(box, limit, *z))
    page.mouse.down()
    stops = [
        (-1.8 + 3.6 * i / (frames - 1), 1.4 * (1 - (2 * i / (frames - 1) - 1) ** 2) - 0.4)
        for i in range(frames)
    ]
    paths = []
    for i, stop in enumerate(stops, start=1):
        page.mouse.move(*z_to_px(box, limit, *stop), steps=12)
        page.wait_for_timeout(150)
        path = out / f"drag-{i:02d}.png"
        pad.screenshot(path=str(path))
        paths.append(path)
    page.mouse.up()
    settle(page)
    try:
        from PIL import Image
    except ImportError:
        return paths
    images = [Image.open(p).convert("RGB") for p in paths]
    gif = out / "drag.gif"
    images[0].save(gif, save_all=True, append_images=images[1:], duration=600, loop=0, optimize=True)
    return [*paths, gif]


def capture(out: Path, themes: tuple[str, ...] = ("light", "dark"), drag: bool = True) -> dict[str, int]:
    """Start the app once per theme, run the tour, and save every page (and the drag frames)."""
    found: dict[str, int] = {}
    with chromium() as browser:
        for theme in themes:
            with serve(theme) as url:
                context = new_context(browser, timeout_s=60)
                page = context.new_page()
                run_tour(page, url)
                found.update(shoot_pages(page, out, "" if theme == "light" else "-dark"))
                if drag and theme == "light":
                    for path in shoot_drag(page, out):
                        found[path.name] = 0
                context.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--themes", default="light,dark", help="comma-separated: light, dark")
    parser.add_argument("--no-drag", action="store_true", help="skip the drag frames")
    args = parser.parse_args(argv)
    themes = tuple(t.strip() for t in args.themes.split(",") if t.strip())
    found = capture(args.out, themes, drag=not args.no_drag)
    for name, count in found.items():
        print(f"{args.out / name}  exceptions={count}")
    return 1 if any(found.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
