"""Compare in a real browser: default dataset, tick AE and VAE, train briefly, see both results.

The flow: Data -> "Use this dataset" (two moons) -> Compare -> a short budget ->
"Train the ticked models" -> both models train in background processes ->
the generation figure, both latent pads and the metrics table appear. Then a
drag in the autoencoder's pad moves the VAE's pad to the same z (the shared
cursor). Nothing may raise.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.slow

TRAIN_TIMEOUT_MS = 240_000
EPOCHS = 8


def open_compare_with_default_data(page: Page, app_url: str) -> None:
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name=re.compile(r"Data$")).first.click()
    wait_for_app(page)
    page.get_by_role("button", name=re.compile("Use this dataset")).click()
    wait_for_app(page)
    page.get_by_role("link", name=re.compile(r"Compare$")).first.click()
    expect(page).to_have_url(re.compile(r"/compare(\?.*)?$"))  # the link may carry settings
    wait_for_app(page)


def pad_z(page: Page, key: str) -> list[float]:
    return page.locator(f".st-key-ll-compare-pad-{key} .ll-pad").first.evaluate("el => el.__llPad.z")


def test_train_ae_and_vae_side_by_side(app_url, page):
    open_compare_with_default_data(page, app_url)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("two moons", exact=False).first).to_be_visible()
    expect(page.get_by_role("checkbox", name="Autoencoder")).to_be_checked()
    expect(page.get_by_role("checkbox", name="VAE", exact=True)).to_be_checked()
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill(str(EPOCHS))  # no Enter: in a form, Enter submits it
    page.get_by_role("button", name=re.compile("Train the ticked models")).click()

    # While training: both models are listed with a status; then the results appear.
    progress = page.locator(".st-key-ll-compare-progress")
    expect(progress.get_by_text("Autoencoder")).to_be_visible(timeout=30_000)
    expect(progress.get_by_text("VAE", exact=True)).to_be_visible()
    metrics = page.locator(".st-key-ll-compare-metrics")
    expect(metrics).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    wait_for_app(page)
    expect(progress.get_by_text(f"finished · epoch {EPOCHS}/{EPOCHS}")).to_have_count(2)

    # The metrics in plain words: one row per measure with its meaning, one column per model,
    # and a verdict per model.
    table = metrics.locator("[data-testid='stTable']")
    expect(table).to_be_visible()
    expect(
        table.locator("th", has_text=re.compile(r"^Generated vs real \(energy distance\)$"))
    ).to_have_count(1)
    expect(table.get_by_text("lower is better").first).to_be_visible()
    expect(table.locator("td", has_text="no likelihood: not a probabilistic model").first).to_be_visible()
    headers = table.locator("thead th")
    expect(headers.filter(has_text=re.compile(r"^Autoencoder$"))).to_have_count(1)
    expect(headers.filter(has_text=re.compile(r"^VAE$"))).to_have_count(1)
    verdicts = metrics.locator(".st-key-ll-compare-verdicts")
    expect(verdicts.get_by_text(re.compile(r"^Autoencoder: (Reconstructs|Is) "))).to_have_count(1)
    expect(metrics.get_by_role("button", name=re.compile("Download the table"))).to_be_visible()
    # The generation figure names both models and their energy distance.
    expect(main.get_by_text(re.compile(r"energy distance \d")).first).to_be_visible()

    # One pad per model; dragging in the autoencoder's pad moves the VAE's pad too.
    for key in ("ae", "vae"):
        expect(page.locator(f".st-key-ll-compare-pad-{key} .ll-pad canvas").first).to_be_visible()
    assert pad_z(page, "ae") == pytest.approx([0.0, 0.0]) and pad_z(page, "vae") == pytest.approx([0.0, 0.0])
    latent = page.locator(".st-key-ll-compare-pad-ae .ll-latent canvas").first
    latent.scroll_into_view_if_needed()
    box = latent.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + box["width"] * 0.2, cy - box["height"] * 0.15, steps=8)
    page.mouse.up()
    moved = None
    for _ in range(300):  # the VAE's pad follows through a rerun: seconds on a busy machine
        page.wait_for_timeout(200)
        moved = pad_z(page, "ae")
        if moved != pytest.approx([0.0, 0.0]) and pad_z(page, "vae") == pytest.approx(moved, abs=1e-9):
            break
    assert moved != pytest.approx([0.0, 0.0]), "the drag did not move the point"
    assert moved[0] > 0 and moved[1] > 0  # right and up
    assert pad_z(page, "vae") == pytest.approx(moved, abs=1e-9), "the VAE's pad did not follow the cursor"
    expect(
        main.get_by_text(re.compile(rf"decoding of z = \({moved[0]:.2f}, {moved[1]:.2f}\)"))
    ).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
